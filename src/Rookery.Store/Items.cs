using System.Globalization;

namespace Rookery.Store;

/// <summary>What an item is. Mail is what IMAP, POP3 and LMTP see; the other kinds come over DAV, ActiveSync and REST.</summary>
public enum ItemKind
{
    Mail = 1,
    Event = 2,
    Task = 3,
    Contact = 4,
    Note = 5,
    File = 6,
}

/// <summary>The rules every protocol shares about item kinds, resource names and ETags.</summary>
public static class Items
{
    /// <summary>The longest resource name (in UTF-16 units): the DAV href segment is kept in an indexed column.</summary>
    public const int MaxResourceNameLength = 255;

    const string GeneratedSuffix = ".eml";

    /// <summary>The content type an item of a kind has when its writer names none.</summary>
    public static string DefaultContentType(ItemKind kind) => kind switch
    {
        ItemKind.Mail => "message/rfc822",
        ItemKind.Event or ItemKind.Task => "text/calendar",
        ItemKind.Contact => "text/vcard",
        ItemKind.Note => "text/plain",
        _ => "application/octet-stream",
    };

    /// <summary>
    /// Whether a folder of this container class may hold items of this kind: calendars hold events and tasks
    /// (a CalDAV collection may hold both), task folders tasks and events, contacts folders contacts, notes
    /// folders notes, file folders files; mail goes in mail folders.
    /// </summary>
    public static bool Fits(ItemKind kind, ContainerClass container) => (kind, container) switch
    {
        (ItemKind.Mail, ContainerClass.Mail) => true,
        (ItemKind.Event or ItemKind.Task, ContainerClass.Calendar or ContainerClass.Tasks) => true,
        (ItemKind.Contact, ContainerClass.Contacts) => true,
        (ItemKind.Note, ContainerClass.Notes) => true,
        (ItemKind.File, ContainerClass.Files) => true,
        _ => false,
    };

    /// <summary>
    /// The resource name of an item stored without one (mail, which nobody names): its id and <c>.eml</c>.
    /// It never changes, moves with the item, and is unique in any folder because ids are.
    /// </summary>
    public static string GeneratedName(long itemId) => itemId.ToString(CultureInfo.InvariantCulture) + GeneratedSuffix;

    /// <summary>The item id a generated name stands for, or null when <paramref name="name"/> is not one.</summary>
    public static long? ParseGeneratedName(string name)
    {
        if (!name.EndsWith(GeneratedSuffix, StringComparison.Ordinal))
            return null;
        var digits = name.AsSpan(0, name.Length - GeneratedSuffix.Length);
        if (digits.IsEmpty || digits[0] == '0' || digits.ContainsAnyExceptInRange('0', '9'))
            return null;
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    /// <summary>
    /// Throws <see cref="ItemNameException"/> unless <paramref name="name"/> can name an item: 1 to 255
    /// characters, no slash or control character, not <c>.</c> or <c>..</c>, and not of the form generated
    /// names take (digits and <c>.eml</c>), which is reserved so that a name given and a name generated
    /// never meet in one folder.
    /// </summary>
    public static void ValidateName(string name)
    {
        if (name.Length == 0 || name.Length > MaxResourceNameLength)
            throw new ItemNameException($"a resource name has 1 to {MaxResourceNameLength} characters");
        if (name is "." or "..")
            throw new ItemNameException("a resource name cannot be . or ..");
        foreach (var c in name)
        {
            if (c == '/' || c == '\\' || char.IsControl(c))
                throw new ItemNameException("a resource name cannot hold a slash, a backslash or a control character");
        }
        if (char.IsSurrogate(name[^1]) && !char.IsLowSurrogate(name[^1]))
            throw new ItemNameException("a resource name must be valid Unicode");
        if (ParseGeneratedName(name) is not null)
            throw new ItemNameException($"'{name}' has the form of a name the server generates (digits and {GeneratedSuffix}); choose another");
    }

    /// <summary>The most content an event, a task or a contact may have: the store reads it whole to extract its fields.</summary>
    public const int MaxStructuredSize = 16 * 1024 * 1024;

    /// <summary>
    /// The key an iCalendar or vCard UID is looked up by: the UID itself, or for one longer than 200 characters
    /// its SHA-256, so that every UID fits an indexed column on every engine.
    /// </summary>
    public static string UidKey(string uid) =>
        uid.Length <= 200 ? uid : "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(uid)));

    /// <summary>
    /// The strong entity tag of an item as it is now, quotes included: it names the item and its modseq, which
    /// every change to its content or state moves on, so it changes with either and never comes back.
    /// </summary>
    public static string ETag(long itemId, long modSeq) => string.Create(CultureInfo.InvariantCulture, $"\"{itemId}-{modSeq}\"");
}

/// <summary>A resource name that cannot name an item (DAV answers 400 or 403).</summary>
public sealed class ItemNameException(string message) : Exception(message);

/// <summary>An item of any kind as the item store sees it: no mail state, only what every protocol addresses it by.</summary>
/// <param name="ResourceName">Unique within the folder: given by the writer, or generated (<see cref="Items.GeneratedName"/>).</param>
/// <param name="Uid">The item's number in its folder, as IMAP knows it; a replaced mail item gets a new one.</param>
public sealed record StoredItem(
    long Id,
    long StoreId,
    long FolderId,
    ItemKind Kind,
    string ResourceName,
    string ContentType,
    long Uid,
    long ModSeq,
    string BlobId,
    long Size)
{
    public string ETag => Items.ETag(Id, ModSeq);
}

/// <summary>New content for an item: what it is and the bytes, staged by <see cref="IMailStore.StageAsync"/>.</summary>
public sealed record ItemContent(ItemKind Kind, Blobs.StagedBlob Content)
{
    /// <summary>Its media type; null takes the kind's (<see cref="Items.DefaultContentType"/>).</summary>
    public string? ContentType { get; init; }
}

/// <summary>
/// HTTP's If-Match and If-None-Match (RFC 9110 13.1.1, 13.1.2) for a write, decided by the store inside the
/// write's transaction, so DAV, ActiveSync and REST get one answer and no writer slips in between.
/// </summary>
public sealed record WriteCondition
{
    /// <summary>No precondition: the write goes ahead whatever is there.</summary>
    public static WriteCondition None { get; } = new();

    /// <summary>Only if the item exists (<c>If-Match: *</c>).</summary>
    public static WriteCondition Exists { get; } = new() { IfMatch = ["*"] };

    /// <summary>Only if no item has the name (<c>If-None-Match: *</c>): create, never overwrite.</summary>
    public static WriteCondition Absent { get; } = new() { IfNoneMatch = ["*"] };

    /// <summary>Only if the item is as it was when its <paramref name="etag"/> was read.</summary>
    public static WriteCondition Unchanged(string etag) => new() { IfMatch = [etag] };

    /// <summary>The If-Match entity tags, quotes included, or <c>*</c>; null when the header was absent.</summary>
    public IReadOnlyList<string>? IfMatch { get; init; }

    /// <summary>The If-None-Match entity tags, quotes included (weak ones with <c>W/</c>), or <c>*</c>; null when absent.</summary>
    public IReadOnlyList<string>? IfNoneMatch { get; init; }

    /// <summary>Whether a write may go ahead on an item whose entity tag is <paramref name="current"/> (null: there is none).</summary>
    public bool Allows(string? current)
    {
        if (IfMatch is { } match)
        {
            // strong comparison: a weak tag never matches
            if (current is null || !match.Any(t => t == "*" || (!t.StartsWith("W/", StringComparison.Ordinal) && t == current)))
                return false;
        }
        if (IfNoneMatch is { } noneMatch && current is not null)
        {
            // weak comparison
            if (noneMatch.Any(t => t == "*" || Opaque(t) == Opaque(current)))
                return false;
        }
        return true;
    }

    static string Opaque(string tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
}

public enum ItemWriteOutcome
{
    Created,
    Replaced,
    Deleted,

    /// <summary>The <see cref="WriteCondition"/> did not hold; nothing was written (HTTP 412).</summary>
    PreconditionFailed,

    /// <summary>No item has the name, and the write needed one (a delete; HTTP 404).</summary>
    NotFound,
}

/// <summary>What a write did; <see cref="Item"/> is the item as written (for a delete, as it was), or as it is when the write was refused.</summary>
public sealed record ItemWrite(ItemWriteOutcome Outcome, StoredItem? Item);

/// <summary>
/// One folder's changes after a position, oldest first, each naming the item's kind and resource name
/// (tombstones too).
/// </summary>
/// <param name="Expired">The position is older than the change log keeps (<c>changelog_retention</c>): the changes since cannot be told, and the reader must start over from a full listing. <see cref="Changes"/> is empty.</param>
/// <param name="Position">Where the next read should start: the newest modseq read, or the store's modseq when the answer is complete.</param>
/// <param name="More">The answer stopped at its limit; read again from <see cref="Position"/>.</param>
public sealed record FolderChanges(bool Expired, long Position, IReadOnlyList<Change> Changes, bool More);
