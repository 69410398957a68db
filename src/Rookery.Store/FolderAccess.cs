using Rookery.Directory;

namespace Rookery.Store;

/// <summary>What a protocol command asks of a folder; <see cref="FolderAccess.Needed"/> says which right that takes.</summary>
public enum FolderAction
{
    /// <summary>See that the folder exists (list it).</summary>
    Lookup,
    /// <summary>Open it and read its items.</summary>
    Read,
    /// <summary>Add items: append, copy or move into it, deliver to it.</summary>
    Insert,
    /// <summary>Mark items read or unread.</summary>
    SetSeen,
    /// <summary>Change items' other flags and keywords.</summary>
    SetFlags,
    /// <summary>Mark items deleted, or undelete them.</summary>
    SetDeleted,
    /// <summary>Remove items for good (expunge, move away).</summary>
    Expunge,
    CreateSubfolder,
    /// <summary>Delete or rename the folder.</summary>
    DeleteFolder,
    /// <summary>See and change the folder's permissions.</summary>
    Administer,
}

/// <summary>
/// Answers "what may this user do with this folder" the same way for every protocol. A user's own
/// private store is theirs entirely; in other stores the most specific grant applies: the user's
/// own, else the union of their groups', else the "anyone" grant, else — in their company's public
/// store — the configured default (<c>public_store_default_rights</c>). An administrator owns their
/// company's public store.
/// </summary>
public sealed class FolderAccess(IMailStore store, IFolderGrants grants, FolderRights publicDefault)
{
    /// <summary>The rights every user of the company has on public folders without an "anyone" grant.</summary>
    public FolderRights PublicDefault => publicDefault;

    public IFolderGrants Grants => grants;

    /// <summary>The right each action takes.</summary>
    public static FolderRights Needed(FolderAction action) => action switch
    {
        FolderAction.Lookup => FolderRights.FolderVisible,
        FolderAction.Read => FolderRights.ReadItems,
        FolderAction.Insert => FolderRights.CreateItems,
        // Items carry no author, so "own" rights cannot be told from "all" for a single item:
        // read state goes with edit-own, other changes with edit-all, deletion with delete-all.
        FolderAction.SetSeen => FolderRights.EditOwn,
        FolderAction.SetFlags => FolderRights.EditAll,
        FolderAction.SetDeleted or FolderAction.Expunge => FolderRights.DeleteAll,
        FolderAction.CreateSubfolder => FolderRights.CreateSubfolders,
        FolderAction.DeleteFolder or FolderAction.Administer => FolderRights.FolderOwner,
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    public static bool Allows(FolderRights rights, FolderAction action) => (rights & Needed(action)) == Needed(action);

    /// <summary>Whether <paramref name="user"/> owns <paramref name="target"/> outright (their own private store).</summary>
    public static bool OwnsStore(UserAccount user, StoreInfo target) => target.Kind == StoreKind.Private && IsOwnStore(user, target.Kind, target.Owner);

    /// <summary>Whether <paramref name="target"/> is the public store of the user's company.</summary>
    public static bool IsOwnPublicStore(UserAccount user, StoreInfo target) => target.Kind == StoreKind.Public && IsOwnStore(user, target.Kind, target.Owner);

    /// <summary>Whether the store of <paramref name="kind"/> and <paramref name="owner"/> is the user's own private store or their company's public store.</summary>
    public static bool IsOwnStore(UserAccount user, StoreKind kind, string owner) => kind switch
    {
        StoreKind.Private => owner == user.StoreOwner,
        StoreKind.Public => string.Equals(owner, user.Company, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>The rights from a folder's grants, for a user who does not own the store.</summary>
    public FolderRights Effective(UserAccount user, StoreInfo target, IEnumerable<FolderGrant> folderGrants)
    {
        if (OwnsStore(user, target))
            return FolderRights.All;
        var ownCompanyPublic = IsOwnPublicStore(user, target);
        if (ownCompanyPublic && user.IsAdmin)
            return FolderRights.All;
        var list = folderGrants as IReadOnlyCollection<FolderGrant> ?? folderGrants.ToList();
        var me = Grantee.User(user);
        if (list.FirstOrDefault(g => g.Grantee == me) is { } mine)
            return mine.Rights;
        var groups = user.Groups.Select(Grantee.Group).ToHashSet();
        var groupGrants = list.Where(g => groups.Contains(g.Grantee)).ToList();
        if (groupGrants.Count > 0)
            return groupGrants.Aggregate(FolderRights.None, (all, g) => all | g.Rights);
        if (list.FirstOrDefault(g => g.Grantee.Kind == GranteeKind.Anyone) is { } anyone)
            return anyone.Rights;
        return ownCompanyPublic ? publicDefault : FolderRights.None;
    }

    /// <summary>The rights of <paramref name="user"/> on one folder.</summary>
    public async Task<FolderRights> RightsAsync(UserAccount user, FolderInfo folder, CancellationToken cancellationToken = default)
    {
        var target = await store.GetStoreAsync(folder.StoreId, cancellationToken);
        if (OwnsStore(user, target))
            return FolderRights.All;
        return Effective(user, target, await grants.ListAsync(folder.Id, cancellationToken));
    }

    /// <summary>The rights of <paramref name="user"/> on every folder of a store, in one query.</summary>
    public Task<IReadOnlyDictionary<long, FolderRights>> RightsInStoreAsync(UserAccount user, StoreInfo target, IReadOnlyList<FolderInfo> folders, CancellationToken cancellationToken = default) =>
        RightsInStoreAsync(user, target, folders.Select(f => f.Id), cancellationToken);

    /// <summary>The user's rights on each of <paramref name="folderIds"/> in <paramref name="target"/>, from one read of the store's grants.</summary>
    public async Task<IReadOnlyDictionary<long, FolderRights>> RightsInStoreAsync(UserAccount user, StoreInfo target, IEnumerable<long> folderIds, CancellationToken cancellationToken = default)
    {
        if (OwnsStore(user, target))
            return folderIds.Distinct().ToDictionary(id => id, _ => FolderRights.All);
        var byFolder = (await grants.ListForStoreAsync(target.Id, cancellationToken)).ToLookup(g => g.FolderId);
        return folderIds.Distinct().ToDictionary(id => id, id => Effective(user, target, byFolder[id]));
    }

    /// <summary>Throws <see cref="AccessDeniedException"/> unless <paramref name="user"/> may do <paramref name="action"/> on the folder.</summary>
    public async Task DemandAsync(UserAccount user, FolderInfo folder, FolderAction action, CancellationToken cancellationToken = default)
    {
        if (!Allows(await RightsAsync(user, folder, cancellationToken), action))
            throw new AccessDeniedException($"no permission to {Describe(action)} in this folder");
    }

    /// <summary>Other users' private stores in which something is granted to <paramref name="user"/>, their groups or anyone.</summary>
    public async Task<IReadOnlyList<StoreInfo>> SharedStoresAsync(UserAccount user, CancellationToken cancellationToken = default)
    {
        var result = new List<StoreInfo>();
        foreach (var id in await grants.StoresGrantedToAsync(Grantee.Of(user), cancellationToken))
        {
            var candidate = await store.GetStoreAsync(id, cancellationToken);
            if (candidate.Kind == StoreKind.Private && !OwnsStore(user, candidate))
                result.Add(candidate);
        }
        return result;
    }

    /// <summary>
    /// What <paramref name="user"/> can see of stores other than their own: the other users' private
    /// stores that grant them something, then their company's public store, each with every folder
    /// and the user's rights on it (a folder is visible with <see cref="FolderRights.FolderVisible"/>).
    /// </summary>
    public async Task<IReadOnlyList<SharedStore>> SharedFoldersAsync(UserAccount user, CancellationToken cancellationToken = default)
    {
        var result = new List<SharedStore>();
        var stores = (await SharedStoresAsync(user, cancellationToken)).ToList();
        if (await PublicStoreAsync(user, cancellationToken) is { } publicStore)
            stores.Add(publicStore);
        foreach (var other in stores)
        {
            var folders = await store.ListFoldersAsync(other.Id, cancellationToken);
            result.Add(new SharedStore(other, folders, await RightsInStoreAsync(user, other, folders, cancellationToken)));
        }
        return result;
    }

    /// <summary>The public store of the user's company, if there is one yet.</summary>
    public Task<StoreInfo?> PublicStoreAsync(UserAccount user, CancellationToken cancellationToken = default) =>
        store.FindStoreAsync(StoreKind.Public, user.Company, cancellationToken);

    /// <summary>
    /// Sets a grant on behalf of <paramref name="actor"/> (null: the administrator's command line),
    /// who needs the folder-owner right. The store owner's own rights cannot be changed.
    /// </summary>
    public async Task SetAsync(UserAccount? actor, FolderInfo folder, Grantee grantee, FolderRights rights, CancellationToken cancellationToken = default)
    {
        await EnsureMayAdministerAsync(actor, folder, grantee, cancellationToken);
        await grants.SetAsync(folder.Id, grantee, rights & FolderRights.All, cancellationToken);
    }

    /// <summary>Removes a grant on behalf of <paramref name="actor"/>; false when there was none.</summary>
    public async Task<bool> RemoveAsync(UserAccount? actor, FolderInfo folder, Grantee grantee, CancellationToken cancellationToken = default)
    {
        await EnsureMayAdministerAsync(actor, folder, grantee, cancellationToken);
        return await grants.RemoveAsync(folder.Id, grantee, cancellationToken);
    }

    async Task EnsureMayAdministerAsync(UserAccount? actor, FolderInfo folder, Grantee grantee, CancellationToken cancellationToken)
    {
        var target = await store.GetStoreAsync(folder.StoreId, cancellationToken);
        if (target.Kind == StoreKind.Private && grantee.Kind == GranteeKind.User && grantee.Key == target.Owner)
            throw new FolderOperationException("the owner of a store always has every right on it");
        if (actor is not null)
            await DemandAsync(actor, folder, FolderAction.Administer, cancellationToken);
    }

    internal static string Describe(FolderAction action) => action switch
    {
        FolderAction.Lookup => "see",
        FolderAction.Read => "read",
        FolderAction.Insert => "add messages",
        FolderAction.SetSeen => "change the read state",
        FolderAction.SetFlags => "change flags",
        FolderAction.SetDeleted => "delete messages",
        FolderAction.Expunge => "expunge messages",
        FolderAction.CreateSubfolder => "create folders",
        FolderAction.DeleteFolder => "delete or rename folders",
        _ => "change permissions",
    };
}

/// <summary>A store other than the user's own, with all its folders and the user's rights on each.</summary>
public sealed record SharedStore(StoreInfo Store, IReadOnlyList<FolderInfo> Folders, IReadOnlyDictionary<long, FolderRights> Rights)
{
    public IEnumerable<FolderInfo> Visible => Folders.Where(f => FolderAccess.Allows(Rights.GetValueOrDefault(f.Id), FolderAction.Lookup));
}
