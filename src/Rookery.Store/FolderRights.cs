using Rookery.Directory;

namespace Rookery.Store;

/// <summary>
/// What a grant on a folder allows: the original's (MAPI's) folder rights, with the same bit
/// values (ecRightsReadAny, ecRightsCreate, …) so data and administrators' knowledge carry over.
/// </summary>
[Flags]
public enum FolderRights
{
    None = 0,
    ReadItems = 0x1,
    CreateItems = 0x2,
    EditOwn = 0x8,
    DeleteOwn = 0x10,
    EditAll = 0x20,
    DeleteAll = 0x40,
    CreateSubfolders = 0x80,
    FolderOwner = 0x100,
    FolderContact = 0x200,
    FolderVisible = 0x400,
    All = ReadItems | CreateItems | EditOwn | DeleteOwn | EditAll | DeleteAll | CreateSubfolders | FolderOwner | FolderContact | FolderVisible,
}

/// <summary>The original's permission roles: named presets of <see cref="FolderRights"/>.</summary>
public static class FolderRoles
{
    public const FolderRights Owner = FolderRights.All;
    public const FolderRights PublishingEditor = Editor | FolderRights.CreateSubfolders;
    public const FolderRights Editor = Author | FolderRights.EditAll | FolderRights.DeleteAll;
    public const FolderRights PublishingAuthor = Author | FolderRights.CreateSubfolders;
    public const FolderRights Author = NonEditingAuthor | FolderRights.EditOwn;
    public const FolderRights NonEditingAuthor = FolderRights.ReadItems | FolderRights.CreateItems | FolderRights.DeleteOwn | FolderRights.FolderVisible;
    public const FolderRights Reviewer = FolderRights.ReadItems | FolderRights.FolderVisible;
    public const FolderRights Contributor = FolderRights.CreateItems | FolderRights.FolderVisible;
    /// <summary>The original's delegate ("secretary") profile: an editor without folder management.</summary>
    public const FolderRights Secretary = Editor;

    /// <summary>Roles by name, most powerful first, so <see cref="NameOf"/> finds the usual name.</summary>
    public static IReadOnlyList<(string Name, FolderRights Rights)> All { get; } =
    [
        ("owner", Owner),
        ("publishing-editor", PublishingEditor),
        ("editor", Editor),
        ("publishing-author", PublishingAuthor),
        ("author", Author),
        ("nonediting-author", NonEditingAuthor),
        ("reviewer", Reviewer),
        ("contributor", Contributor),
        ("none", FolderRights.None),
        ("secretary", Secretary),
    ];

    /// <summary>Right names for administrators, in bit order.</summary>
    public static IReadOnlyList<(string Name, FolderRights Right)> RightNames { get; } =
    [
        ("read", FolderRights.ReadItems),
        ("create", FolderRights.CreateItems),
        ("edit-own", FolderRights.EditOwn),
        ("delete-own", FolderRights.DeleteOwn),
        ("edit-all", FolderRights.EditAll),
        ("delete-all", FolderRights.DeleteAll),
        ("create-subfolders", FolderRights.CreateSubfolders),
        ("folder-owner", FolderRights.FolderOwner),
        ("folder-contact", FolderRights.FolderContact),
        ("folder-visible", FolderRights.FolderVisible),
    ];

    /// <summary>The role whose rights these are, or null.</summary>
    public static string? NameOf(FolderRights rights) => All.FirstOrDefault(r => r.Rights == rights).Name;

    /// <summary>The rights as a role name when they are one, otherwise the list of right names.</summary>
    public static string Describe(FolderRights rights) =>
        NameOf(rights) ?? string.Join(' ', RightNames.Where(r => rights.HasFlag(r.Right)).Select(r => r.Name));

    /// <summary>
    /// Parses a role ("publishing editor", "publishing-editor", "PublishingEditor") or right names
    /// separated by spaces or commas ("read create folder-visible"), or a number.
    /// </summary>
    public static bool TryParse(string text, out FolderRights rights)
    {
        rights = FolderRights.None;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            || (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(text[2..], System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out number)))
        {
            rights = (FolderRights)number;
            return (rights & ~FolderRights.All) == 0;
        }
        var whole = Key(text);
        if (All.FirstOrDefault(r => Key(r.Name) == whole) is { Name: not null } role)
        {
            rights = role.Rights;
            return true;
        }
        foreach (var word in text.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries))
        {
            var key = Key(word);
            if (RightNames.FirstOrDefault(r => Key(r.Name) == key) is { Name: not null } right)
                rights |= right.Right;
            else if (All.FirstOrDefault(r => Key(r.Name) == key) is { Name: not null } named)
                rights |= named.Rights;
            else
                return false;
        }
        return text.Trim().Length > 0;
    }

    static string Key(string name) => new(name.Where(char.IsLetter).Select(char.ToLowerInvariant).ToArray());
}

/// <summary>Who a grant is for.</summary>
public enum GranteeKind
{
    User = 1,
    Group = 2,
    /// <summary>Everyone who can open the store: the default grant (IMAP's "anyone").</summary>
    Anyone = 3,
}

/// <summary>
/// Who a grant is for: a user by <see cref="UserAccount.StoreOwner"/> (stable across renames), a
/// group by its name folded to lower case, or anyone.
/// </summary>
public sealed record Grantee(GranteeKind Kind, string Key)
{
    public static Grantee Anyone { get; } = new(GranteeKind.Anyone, "");

    public static Grantee User(UserAccount user) => new(GranteeKind.User, user.StoreOwner);

    public static Grantee Group(string name) => new(GranteeKind.Group, name.ToUpperInvariant().ToLowerInvariant());

    /// <summary>Every grantee a grant to which applies to <paramref name="user"/>.</summary>
    public static IReadOnlyList<Grantee> Of(UserAccount user) => [User(user), .. user.Groups.Select(Group), Anyone];
}

public sealed record FolderGrant(long StoreId, long FolderId, Grantee Grantee, FolderRights Rights);

/// <summary>Where grants are kept. Checks belong to <see cref="FolderAccess"/>, not here.</summary>
public interface IFolderGrants
{
    Task<IReadOnlyList<FolderGrant>> ListAsync(long folderId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<FolderGrant>> ListForStoreAsync(long storeId, CancellationToken cancellationToken = default);

    /// <summary>The stores that have at least one grant to any of <paramref name="grantees"/>.</summary>
    Task<IReadOnlyList<long>> StoresGrantedToAsync(IReadOnlyCollection<Grantee> grantees, CancellationToken cancellationToken = default);

    /// <summary>Sets (replaces) the grant of <paramref name="grantee"/> on a folder.</summary>
    Task SetAsync(long folderId, Grantee grantee, FolderRights rights, CancellationToken cancellationToken = default);

    /// <summary>Removes a grant; false when there was none.</summary>
    Task<bool> RemoveAsync(long folderId, Grantee grantee, CancellationToken cancellationToken = default);
}

/// <summary>A user asked for something a folder's permissions do not allow.</summary>
public sealed class AccessDeniedException(string message) : Exception(message);
