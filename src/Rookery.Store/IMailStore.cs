using Rookery.Blobs;

namespace Rookery.Store;

/// <summary>
/// The store API every protocol calls: stores, the folder tree, items, flags, the change log.
/// Every mutation takes the store's next modseq and leaves a change-log row; nothing is
/// acknowledged before it is committed.
/// </summary>
public interface IMailStore : IItemStore
{
    /// <summary>Opens the private store of <paramref name="owner"/>, creating it with its default folders in <paramref name="locale"/> the first time.</summary>
    Task<StoreInfo> EnsureStoreAsync(StoreKind kind, string owner, string locale, CancellationToken cancellationToken = default);

    Task<StoreInfo?> FindStoreAsync(StoreKind kind, string owner, CancellationToken cancellationToken = default);

    Task<StoreInfo> GetStoreAsync(long storeId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StoreInfo>> ListStoresAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives a store to another owner (hooking an orphaned store to a user). Throws
    /// <see cref="FolderOperationException"/> when that owner already has a store of the kind.
    /// For a private store the former owner's grants in every store are removed with it, and so
    /// are the new owner's grants in this store, which owning it makes moot.
    /// </summary>
    Task<StoreInfo> ChangeStoreOwnerAsync(long storeId, string newOwner, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<FolderInfo>> ListFoldersAsync(long storeId, CancellationToken cancellationToken = default);

    Task<FolderInfo> GetFolderAsync(long folderId, CancellationToken cancellationToken = default);

    Task<FolderInfo> CreateFolderAsync(long storeId, long? parentId, string name, ContainerClass containerClass, CancellationToken cancellationToken = default);

    Task<FolderInfo> RenameFolderAsync(long folderId, string newName, CancellationToken cancellationToken = default);

    Task<FolderInfo> MoveFolderAsync(long folderId, long? newParentId, string? newName = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a folder with its sub folders and items; every deleted folder leaves a tombstone, and its items go with it.</summary>
    Task DeleteFolderAsync(long folderId, CancellationToken cancellationToken = default);

    /// <summary>Hashes the content and makes it durable under a temporary name; append it to one or more folders, then dispose it.</summary>
    Task<StagedBlob> StageAsync(Stream content, CancellationToken cancellationToken = default);

    /// <summary>Stores a staged blob as a new item. Throws <see cref="QuotaExceededException"/> past the hard quota, storing nothing.</summary>
    Task<AppendResult> AppendAsync(long folderId, StagedBlob content, AppendRequest request, CancellationToken cancellationToken = default);

    /// <summary>Stores several messages in one transaction: all of them or none (IMAP MULTIAPPEND), with consecutive uids.</summary>
    Task<IReadOnlyList<AppendResult>> AppendManyAsync(long folderId, IReadOnlyList<(StagedBlob Content, AppendRequest Request)> messages, CancellationToken cancellationToken = default);

    Task<ItemInfo?> GetItemAsync(long folderId, long uid, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ItemInfo>> ListItemsAsync(long folderId, ItemQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>How many items <see cref="ListItemsAsync"/> would list (its <see cref="ItemQuery.Limit"/> aside), counted without reading them.</summary>
    Task<long> CountItemsAsync(long folderId, ItemQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// UID, modseq, flags and keywords of a folder's items in UID order, of those changed after
    /// <paramref name="changedSince"/> when given: what opening or refreshing a mailbox view needs,
    /// read without the rest of each item.
    /// </summary>
    Task<IReadOnlyList<ItemState>> ListItemStatesAsync(long folderId, long? changedSince = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every keyword a message of the folder has carried since it was created (up to 255 characters each), in no
    /// order: IMAP's FLAGS and PERMANENTFLAGS, the same for every session, as Dovecot keeps them. The list only
    /// grows; when it does, the folder gets a <see cref="ChangeKind.Changed"/> row in the change log.
    /// </summary>
    Task<IReadOnlyList<string>> ListKeywordsAsync(long folderId, CancellationToken cancellationToken = default);

    Task<Stream> OpenContentAsync(ItemInfo item, CancellationToken cancellationToken = default);

    /// <summary>
    /// The structure descriptions kept for these items' contents, by <see cref="ItemInfo.BlobId"/> (copies share
    /// one), read without opening the contents; content stored before descriptions were kept, or stored without
    /// one, is missing from the answer.
    /// </summary>
    Task<IReadOnlyDictionary<string, byte[]>> GetStructuresAsync(IReadOnlyCollection<ItemInfo> items, CancellationToken cancellationToken = default);

    /// <summary>Keeps a description of an item's content computed after ingest (it had none, or one of an older format), replacing any kept before.</summary>
    Task SaveStructureAsync(ItemInfo item, byte[] structure, CancellationToken cancellationToken = default);

    Task<FlagResult> SetFlagsAsync(long folderId, IReadOnlyCollection<long> uids, FlagChange change, CancellationToken cancellationToken = default);

    Task<CopyResult> CopyItemsAsync(long sourceFolderId, IReadOnlyCollection<long> uids, long targetFolderId, CancellationToken cancellationToken = default);

    Task<CopyResult> MoveItemsAsync(long sourceFolderId, IReadOnlyCollection<long> uids, long targetFolderId, CancellationToken cancellationToken = default);

    /// <summary>Removes items for good; returns the uids that were removed.</summary>
    Task<IReadOnlyList<long>> ExpungeAsync(long folderId, IReadOnlyCollection<long> uids, CancellationToken cancellationToken = default);

    /// <summary>The change log of a store after <paramref name="sinceModSeq"/>, oldest first.</summary>
    /// <param name="committed">
    /// A modseq the caller knows to be committed (the newest a notification told of): when the changes up to it
    /// have been read already, by this caller or any other, they may be answered without reading the log again.
    /// The answer then holds every change up to it, and may hold later ones.
    /// </param>
    Task<IReadOnlyList<Change>> GetChangesAsync(long storeId, long sinceModSeq, int limit = 10_000, long? committed = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// IMAP \Recent: the caller gets the messages no session has seen yet — those with a uid at or
    /// above the returned one — and from now on nobody else gets them. Not a change: no modseq.
    /// </summary>
    /// <param name="asRead">
    /// The folder as the caller has just read it: the claim reaches up to its uid next (messages
    /// appended since are left to the next claim) and the folder is not read again.
    /// </param>
    Task<long> ClaimRecentAsync(long folderId, FolderInfo? asRead = null, CancellationToken cancellationToken = default);

    /// <summary>The mailbox names a store's owner subscribes to (IMAP SUBSCRIBE); they need not exist.</summary>
    Task<IReadOnlyList<string>> ListSubscriptionsAsync(long storeId, CancellationToken cancellationToken = default);

    Task SetSubscriptionAsync(long storeId, string name, bool subscribed, CancellationToken cancellationToken = default);

    /// <summary>Notifications of committed changes to one store.</summary>
    IChangeNotifier Notifier { get; }
}
