using System.Collections.Concurrent;
using Rookery.Blobs;
using Rookery.Directory;

namespace Rookery.Store;

/// <summary>
/// The store as one user may use it: what a protocol session does in a store other than the
/// user's own is checked against the folder's permissions (<see cref="FolderAccess"/>) and refused
/// with <see cref="AccessDeniedException"/>; flags the user may not set are left off appended,
/// copied and moved messages. Protocols hold one per session, so they all get the same answer.
/// </summary>
public sealed class UserMailStore(IMailStore inner, FolderAccess access, UserAccount user, TimeProvider? time = null) : IMailStore
{
    /// <summary>How long a folder's rights are reused before the grants are read again.</summary>
    static readonly TimeSpan RightsLifetime = TimeSpan.FromSeconds(2);

    readonly TimeProvider clock = time ?? TimeProvider.System;
    // a store's kind and owner and a folder's store never change: remembered for the session. A session
    // uses its store one command at a time and holds a few entries: one lock and one bucket to start with
    // keep these at about 200 bytes each instead of 500 (an IMAP server holds one per idle connection).
    readonly ConcurrentDictionary<long, StoreInfo> stores = new(concurrencyLevel: 1, capacity: 1);
    readonly ConcurrentDictionary<long, long> folderStores = new(concurrencyLevel: 1, capacity: 1);
    readonly ConcurrentDictionary<long, (FolderRights Rights, DateTimeOffset Until)> rights = new(concurrencyLevel: 1, capacity: 1);

    public UserAccount User => user;

    public IChangeNotifier Notifier => inner.Notifier;

    /// <summary>Forgets the rights read so far (after the user changed a grant).</summary>
    public void Forget() => rights.Clear();

    /// <summary>The user's rights on a folder: all of them in their own store.</summary>
    public async Task<FolderRights> RightsAsync(long folderId, CancellationToken cancellationToken = default)
    {
        var owner = await StoreOfFolderAsync(folderId, cancellationToken);
        if (FolderAccess.OwnsStore(user, owner))
            return FolderRights.All;
        var now = clock.GetUtcNow();
        if (rights.TryGetValue(folderId, out var known) && known.Until > now)
            return known.Rights;
        var current = access.Effective(user, owner, await access.Grants.ListAsync(folderId, cancellationToken));
        rights[folderId] = (current, now + RightsLifetime);
        return current;
    }

    async Task DemandAsync(long folderId, FolderAction action, CancellationToken cancellationToken)
    {
        if (!FolderAccess.Allows(await RightsAsync(folderId, cancellationToken), action))
            throw new AccessDeniedException($"no permission to {FolderAccess.Describe(action)} in this folder");
    }

    async Task<StoreInfo> StoreOfFolderAsync(long folderId, CancellationToken cancellationToken)
    {
        if (!folderStores.TryGetValue(folderId, out var storeId))
            folderStores[folderId] = storeId = (await inner.GetFolderAsync(folderId, cancellationToken)).StoreId;
        return await IdentityAsync(storeId, cancellationToken);
    }

    async Task<StoreInfo> IdentityAsync(long storeId, CancellationToken cancellationToken)
    {
        if (!stores.TryGetValue(storeId, out var info))
            stores[storeId] = info = await inner.GetStoreAsync(storeId, cancellationToken);
        return info;
    }

    /// <summary>
    /// Whether the user may look into a store at all: their own, their company's public store, or
    /// another user's store that grants them (or a group of theirs, or anyone) something.
    /// </summary>
    async Task<StoreInfo> DemandStoreAsync(long storeId, CancellationToken cancellationToken)
    {
        var target = await IdentityAsync(storeId, cancellationToken);
        return await MayOpenAsync(target, cancellationToken) ? target : throw new AccessDeniedException("no permission to open this store");
    }

    async Task<bool> MayOpenAsync(StoreInfo target, CancellationToken cancellationToken) =>
        FolderAccess.IsOwnStore(user, target.Kind, target.Owner)
        || (await access.Grants.StoresGrantedToAsync(Grantee.Of(user), cancellationToken)).Contains(target.Id);

    // ---- stores and folders ----

    /// <summary>A user's own private store, or their company's public store; nobody else's.</summary>
    public Task<StoreInfo> EnsureStoreAsync(StoreKind kind, string owner, string locale, CancellationToken cancellationToken = default) =>
        FolderAccess.IsOwnStore(user, kind, owner)
            ? inner.EnsureStoreAsync(kind, owner, locale, cancellationToken)
            : throw new AccessDeniedException("only an administrator can create another owner's store");

    /// <summary>Finds a store the user may open (<see cref="DemandStoreAsync"/>); any other is reported as not there.</summary>
    public async Task<StoreInfo?> FindStoreAsync(StoreKind kind, string owner, CancellationToken cancellationToken = default)
    {
        var found = await inner.FindStoreAsync(kind, owner, cancellationToken);
        return found is not null && await MayOpenAsync(found, cancellationToken) ? found : null;
    }

    /// <summary>Giving a store away is the administrator's (<c>rookery admin store hook</c>), never a user's.</summary>
    public Task<StoreInfo> ChangeStoreOwnerAsync(long storeId, string newOwner, CancellationToken cancellationToken = default) =>
        throw new AccessDeniedException("only an administrator can give a store to another owner");

    /// <summary>A store's counters (modseq, size), for a store the user may open.</summary>
    public async Task<StoreInfo> GetStoreAsync(long storeId, CancellationToken cancellationToken = default)
    {
        await DemandStoreAsync(storeId, cancellationToken);
        return await inner.GetStoreAsync(storeId, cancellationToken);
    }

    /// <summary>The stores the user may open: their own, the ones shared with them and their company's public store.</summary>
    public async Task<IReadOnlyList<StoreInfo>> ListStoresAsync(CancellationToken cancellationToken = default)
    {
        var granted = (await access.Grants.StoresGrantedToAsync(Grantee.Of(user), cancellationToken)).ToHashSet();
        return (await inner.ListStoresAsync(cancellationToken))
            .Where(s => FolderAccess.IsOwnStore(user, s.Kind, s.Owner) || granted.Contains(s.Id))
            .ToList();
    }

    /// <summary>In another owner's store, only the folders the user may see (the lookup right).</summary>
    public async Task<IReadOnlyList<FolderInfo>> ListFoldersAsync(long storeId, CancellationToken cancellationToken = default)
    {
        var target = await DemandStoreAsync(storeId, cancellationToken);
        var folders = await inner.ListFoldersAsync(storeId, cancellationToken);
        if (FolderAccess.OwnsStore(user, target))
            return folders;
        var rights = await access.RightsInStoreAsync(user, target, folders, cancellationToken);
        return folders.Where(f => FolderAccess.Allows(rights[f.Id], FolderAction.Lookup)).ToList();
    }

    /// <summary>A folder the user may see or read (RFC 4314 opens a folder by name with the read right alone); any other is refused.</summary>
    public async Task<FolderInfo> GetFolderAsync(long folderId, CancellationToken cancellationToken = default)
    {
        var folder = await inner.GetFolderAsync(folderId, cancellationToken);
        folderStores.TryAdd(folderId, folder.StoreId);
        var granted = await RightsAsync(folderId, cancellationToken);
        if (!FolderAccess.Allows(granted, FolderAction.Lookup) && !FolderAccess.Allows(granted, FolderAction.Read))
            throw new AccessDeniedException("no permission to see this folder");
        return folder;
    }

    public async Task<FolderInfo> CreateFolderAsync(long storeId, long? parentId, string name, ContainerClass containerClass, CancellationToken cancellationToken = default)
    {
        var target = await IdentityAsync(storeId, cancellationToken);
        if (!FolderAccess.OwnsStore(user, target))
        {
            if (parentId is { } parent)
                await DemandAsync(parent, FolderAction.CreateSubfolder, cancellationToken);
            else if (access.Effective(user, target, []) != FolderRights.All)
                throw new AccessDeniedException("no permission to create folders at the top of this store");
        }
        return await inner.CreateFolderAsync(storeId, parentId, name, containerClass, cancellationToken);
    }

    public async Task<FolderInfo> RenameFolderAsync(long folderId, string newName, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.DeleteFolder, cancellationToken);
        return await inner.RenameFolderAsync(folderId, newName, cancellationToken);
    }

    public async Task<FolderInfo> MoveFolderAsync(long folderId, long? newParentId, string? newName = null, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.DeleteFolder, cancellationToken);
        if (newParentId is { } parent)
            await DemandAsync(parent, FolderAction.CreateSubfolder, cancellationToken);
        else if (!FolderAccess.OwnsStore(user, await StoreOfFolderAsync(folderId, cancellationToken))
            && access.Effective(user, await StoreOfFolderAsync(folderId, cancellationToken), []) != FolderRights.All)
            throw new AccessDeniedException("no permission to move folders to the top of this store");
        return await inner.MoveFolderAsync(folderId, newParentId, newName, cancellationToken);
    }

    /// <summary>
    /// The store deletes a folder with everything below it; in another owner's store, where the user
    /// may not see (or delete) every folder below, a folder with sub-folders is refused instead.
    /// </summary>
    public async Task DeleteFolderAsync(long folderId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.DeleteFolder, cancellationToken);
        var target = await StoreOfFolderAsync(folderId, cancellationToken);
        if (!FolderAccess.OwnsStore(user, target) && (await inner.ListFoldersAsync(target.Id, cancellationToken)).Any(f => f.ParentId == folderId))
            throw new FolderOperationException("delete the folders below it first");
        await inner.DeleteFolderAsync(folderId, cancellationToken);
    }

    // ---- items ----

    public Task<StagedBlob> StageAsync(Stream content, CancellationToken cancellationToken = default) => inner.StageAsync(content, cancellationToken);

    public async Task<AppendResult> AppendAsync(long folderId, StagedBlob content, AppendRequest request, CancellationToken cancellationToken = default) =>
        (await AppendManyAsync(folderId, [(content, request)], cancellationToken))[0];

    public async Task<IReadOnlyList<AppendResult>> AppendManyAsync(long folderId, IReadOnlyList<(StagedBlob Content, AppendRequest Request)> messages, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Insert, cancellationToken);
        var granted = await RightsAsync(folderId, cancellationToken);
        return await inner.AppendManyAsync(folderId, messages.Select(m => (m.Content, Permitted(m.Request, granted))).ToList(), cancellationToken);
    }

    /// <summary>An append without the flags the user may not set (RFC 4314 §4 leaves them off rather than failing).</summary>
    static AppendRequest Permitted(AppendRequest request, FolderRights granted)
    {
        var flags = request.Flags;
        if (!FolderAccess.Allows(granted, FolderAction.SetSeen))
            flags &= ~MessageFlags.Seen;
        if (!FolderAccess.Allows(granted, FolderAction.SetDeleted))
            flags &= ~MessageFlags.Deleted;
        var mayFlag = FolderAccess.Allows(granted, FolderAction.SetFlags);
        if (!mayFlag)
            flags &= MessageFlags.Seen | MessageFlags.Deleted;
        return flags == request.Flags && (mayFlag || request.Keywords.Count == 0) ? request : request with { Flags = flags, Keywords = mayFlag ? request.Keywords : [] };
    }

    public async Task<ItemInfo?> GetItemAsync(long folderId, long uid, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.GetItemAsync(folderId, uid, cancellationToken);
    }

    public async Task<IReadOnlyList<ItemInfo>> ListItemsAsync(long folderId, ItemQuery? query = null, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.ListItemsAsync(folderId, query, cancellationToken);
    }

    public async Task<long> CountItemsAsync(long folderId, ItemQuery query, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.CountItemsAsync(folderId, query, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListKeywordsAsync(long folderId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.ListKeywordsAsync(folderId, cancellationToken);
    }

    public async Task<IReadOnlyList<ItemState>> ListItemStatesAsync(long folderId, long? changedSince = null, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.ListItemStatesAsync(folderId, changedSince, cancellationToken);
    }

    public async Task<Stream> OpenContentAsync(ItemInfo item, CancellationToken cancellationToken = default)
    {
        await DemandAsync(item.FolderId, FolderAction.Read, cancellationToken);
        return await inner.OpenContentAsync(item, cancellationToken);
    }

    /// <summary>A description tells what the content holds: it takes the right to read the items, as their content does.</summary>
    public async Task<IReadOnlyDictionary<string, byte[]>> GetStructuresAsync(IReadOnlyCollection<ItemInfo> items, CancellationToken cancellationToken = default)
    {
        foreach (var folderId in items.Select(i => i.FolderId).Distinct())
            await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.GetStructuresAsync(items, cancellationToken);
    }

    public async Task SaveStructureAsync(ItemInfo item, byte[] structure, CancellationToken cancellationToken = default)
    {
        await DemandAsync(item.FolderId, FolderAction.Read, cancellationToken);
        await inner.SaveStructureAsync(item, structure, cancellationToken);
    }

    public async Task<FlagResult> SetFlagsAsync(long folderId, IReadOnlyCollection<long> uids, FlagChange change, CancellationToken cancellationToken = default)
    {
        var replace = change.Operation == FlagOperation.Replace;
        if (replace || change.Flags.HasFlag(MessageFlags.Seen))
            await DemandAsync(folderId, FolderAction.SetSeen, cancellationToken);
        if (replace || change.Flags.HasFlag(MessageFlags.Deleted))
            await DemandAsync(folderId, FolderAction.SetDeleted, cancellationToken);
        if (replace || (change.Flags & ~(MessageFlags.Seen | MessageFlags.Deleted)) != 0 || change.Keywords.Count > 0)
            await DemandAsync(folderId, FolderAction.SetFlags, cancellationToken);
        return await inner.SetFlagsAsync(folderId, uids, change, cancellationToken);
    }

    public async Task<CopyResult> CopyItemsAsync(long sourceFolderId, IReadOnlyCollection<long> uids, long targetFolderId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(sourceFolderId, FolderAction.Read, cancellationToken);
        await DemandAsync(targetFolderId, FolderAction.Insert, cancellationToken);
        var granted = await RightsAsync(targetFolderId, cancellationToken);
        var keywords = FolderAccess.Allows(granted, FolderAction.SetFlags) ? [] : await KeywordsAsync(sourceFolderId, uids, cancellationToken);
        return await StripFlagsAsync(targetFolderId, granted, keywords, await inner.CopyItemsAsync(sourceFolderId, uids, targetFolderId, cancellationToken), cancellationToken);
    }

    public async Task<CopyResult> MoveItemsAsync(long sourceFolderId, IReadOnlyCollection<long> uids, long targetFolderId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(sourceFolderId, FolderAction.Read, cancellationToken);
        await DemandAsync(sourceFolderId, FolderAction.Expunge, cancellationToken);
        await DemandAsync(targetFolderId, FolderAction.Insert, cancellationToken);
        var granted = await RightsAsync(targetFolderId, cancellationToken);
        var keywords = FolderAccess.Allows(granted, FolderAction.SetFlags) ? [] : await KeywordsAsync(sourceFolderId, uids, cancellationToken);
        return await StripFlagsAsync(targetFolderId, granted, keywords, await inner.MoveItemsAsync(sourceFolderId, uids, targetFolderId, cancellationToken), cancellationToken);
    }

    /// <summary>The keywords the items to be copied carry, for a target where the user may not set them.</summary>
    async Task<IReadOnlyList<string>> KeywordsAsync(long sourceFolderId, IReadOnlyCollection<long> uids, CancellationToken cancellationToken)
    {
        if (uids.Count == 0)
            return [];
        var items = await inner.ListItemsAsync(sourceFolderId, new ItemQuery { UidFrom = uids.Min(), UidTo = uids.Max() }, cancellationToken);
        var wanted = uids.ToHashSet();
        return items.Where(i => wanted.Contains(i.Uid)).SelectMany(i => i.Keywords).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>
    /// Takes off the copies the flags the user may not set in the target, as an append would
    /// (RFC 4314 §4); in a store the user owns, or with every flag right, nothing changes.
    /// </summary>
    async Task<CopyResult> StripFlagsAsync(long targetFolderId, FolderRights granted, IReadOnlyList<string> keywords, CopyResult result, CancellationToken cancellationToken)
    {
        var strip = MessageFlags.None;
        if (!FolderAccess.Allows(granted, FolderAction.SetSeen))
            strip |= MessageFlags.Seen;
        if (!FolderAccess.Allows(granted, FolderAction.SetDeleted))
            strip |= MessageFlags.Deleted;
        var mayFlag = FolderAccess.Allows(granted, FolderAction.SetFlags);
        if (!mayFlag)
            strip |= MessageFlags.Answered | MessageFlags.Flagged | MessageFlags.Draft;
        var dropKeywords = mayFlag ? [] : keywords;
        if (result.Mappings.Count > 0 && (strip != MessageFlags.None || dropKeywords.Count > 0))
            await inner.SetFlagsAsync(targetFolderId, result.Mappings.Select(m => m.TargetUid).ToList(), new FlagChange(FlagOperation.Remove, strip, dropKeywords), cancellationToken);
        return result;
    }

    public async Task<IReadOnlyList<long>> ExpungeAsync(long folderId, IReadOnlyCollection<long> uids, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Expunge, cancellationToken);
        return await inner.ExpungeAsync(folderId, uids, cancellationToken);
    }

    /// <summary>
    /// A store's change log, for a store the user may open. In another owner's store, a change to an
    /// item in a folder the user may not read says only that the folder changed (no item, no UID): a
    /// session watching that folder then reads it, and learns that its right is gone.
    /// </summary>
    public async Task<IReadOnlyList<Change>> GetChangesAsync(long storeId, long sinceModSeq, int limit = 10_000, long? committed = null, CancellationToken cancellationToken = default)
    {
        var target = await DemandStoreAsync(storeId, cancellationToken);
        var changes = await inner.GetChangesAsync(storeId, sinceModSeq, limit, committed, cancellationToken);
        if (FolderAccess.OwnsStore(user, target) || !changes.Any(c => c.Entity == ChangeEntity.Item))
            return changes;
        var rights = await access.RightsInStoreAsync(user, target, changes.SelectMany(c => new[] { c.FolderId, c.PreviousFolderId }).OfType<long>(), cancellationToken);
        bool MayRead(long? folderId) => folderId is { } id && FolderAccess.Allows(rights[id], FolderAction.Read);
        return changes
            .Select(c => c.Entity != ChangeEntity.Item || MayRead(c.FolderId) || MayRead(c.PreviousFolderId) ? c : c with { ObjectId = 0, Uid = null, PreviousUid = null, ResourceName = null })
            .ToList();
    }

    public async Task<long> ClaimRecentAsync(long folderId, FolderInfo? asRead = null, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.ClaimRecentAsync(folderId, asRead, cancellationToken);
    }

    /// <summary>Subscriptions are kept in the user's own store (shared and public mailboxes included, by name).</summary>
    public async Task<IReadOnlyList<string>> ListSubscriptionsAsync(long storeId, CancellationToken cancellationToken = default)
    {
        await DemandOwnStoreAsync(storeId, cancellationToken);
        return await inner.ListSubscriptionsAsync(storeId, cancellationToken);
    }

    public async Task SetSubscriptionAsync(long storeId, string name, bool subscribed, CancellationToken cancellationToken = default)
    {
        await DemandOwnStoreAsync(storeId, cancellationToken);
        await inner.SetSubscriptionAsync(storeId, name, subscribed, cancellationToken);
    }

    // ---- items of every kind ----

    public async Task<StoredItem?> FindItemAsync(long folderId, string resourceName, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.FindItemAsync(folderId, resourceName, cancellationToken);
    }

    public async Task<IReadOnlyList<StoredItem>> ListFolderItemsAsync(long folderId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.ListFolderItemsAsync(folderId, cancellationToken);
    }

    public async Task<IReadOnlyList<StoredItem>> FindByUidAsync(long folderId, string uid, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.FindByUidAsync(folderId, uid, cancellationToken);
    }

    public async Task<IReadOnlyList<StoredItem>> ListInTimeRangeAsync(long folderId, DateTimeOffset from, DateTimeOffset to, TimeZoneInfo? floatingZone = null,
        CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.ListInTimeRangeAsync(folderId, from, to, floatingZone, cancellationToken);
    }

    public async Task<Stream> OpenItemContentAsync(StoredItem item, CancellationToken cancellationToken = default)
    {
        await DemandAsync(item.FolderId, FolderAction.Read, cancellationToken);
        return await inner.OpenItemContentAsync(item, cancellationToken);
    }

    /// <summary>Creating needs the right to insert; replacing what is there needs the right to remove it too.</summary>
    public async Task<ItemWrite> PutItemAsync(long folderId, string? resourceName, ItemContent content, WriteCondition condition, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Insert, cancellationToken);
        if (resourceName is not null && !FolderAccess.Allows(await RightsAsync(folderId, cancellationToken), FolderAction.Expunge)
            && await inner.FindItemAsync(folderId, resourceName, cancellationToken) is not null)
            throw new AccessDeniedException($"no permission to {FolderAccess.Describe(FolderAction.Expunge)} in this folder");
        return await inner.PutItemAsync(folderId, resourceName, content, condition, cancellationToken);
    }

    public async Task<ItemWrite> DeleteItemAsync(long folderId, string resourceName, WriteCondition condition, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Expunge, cancellationToken);
        return await inner.DeleteItemAsync(folderId, resourceName, condition, cancellationToken);
    }

    public async Task<FolderChanges> GetFolderChangesAsync(long folderId, long sinceModSeq, int limit = 10_000, CancellationToken cancellationToken = default)
    {
        await DemandAsync(folderId, FolderAction.Read, cancellationToken);
        return await inner.GetFolderChangesAsync(folderId, sinceModSeq, limit, cancellationToken);
    }

    async Task DemandOwnStoreAsync(long storeId, CancellationToken cancellationToken)
    {
        if (!FolderAccess.OwnsStore(user, await IdentityAsync(storeId, cancellationToken)))
            throw new AccessDeniedException("subscriptions are kept in the user's own store");
    }
}
