namespace Rookery.Store;

/// <summary>
/// Items of every kind, addressed by folder and resource name: what DAV, ActiveSync and REST read and write.
/// Preconditions are decided here, inside the write, so every protocol gets one answer; every write takes the
/// store's next modseq and leaves a change-log row that names the item's kind and resource name.
/// </summary>
public interface IItemStore
{
    /// <summary>The item of a folder with this resource name (a generated one included), or null.</summary>
    Task<StoredItem?> FindItemAsync(long folderId, string resourceName, CancellationToken cancellationToken = default);

    /// <summary>Every item of a folder, in no particular order.</summary>
    Task<IReadOnlyList<StoredItem>> ListFolderItemsAsync(long folderId, CancellationToken cancellationToken = default);

    Task<Stream> OpenItemContentAsync(StoredItem item, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates the item, or replaces the content of the one with this name, when <paramref name="condition"/>
    /// holds for what is there. A replaced item keeps its id and resource name and gets a new modseq (and ETag);
    /// a replaced mail item also gets a new UID, since IMAP never changes a message under its UID. A null
    /// <paramref name="resourceName"/> creates an item with a generated name. Throws
    /// <see cref="ItemNameException"/> for a name that cannot be used, <see cref="ItemKindException"/> when
    /// the folder does not hold items of that kind or the item there is of another kind, and
    /// <see cref="QuotaExceededException"/> past the hard quota.
    /// </summary>
    Task<ItemWrite> PutItemAsync(long folderId, string? resourceName, ItemContent content, WriteCondition condition, CancellationToken cancellationToken = default);

    /// <summary>Removes the item with this name when <paramref name="condition"/> holds; it leaves a named tombstone.</summary>
    Task<ItemWrite> DeleteItemAsync(long folderId, string resourceName, WriteCondition condition, CancellationToken cancellationToken = default);

    /// <summary>
    /// The item changes of one folder after <paramref name="sinceModSeq"/>, read from the change log's per-folder
    /// index: created, changed, deleted, and moved in or out (a move out has <see cref="Change.PreviousFolderId"/>
    /// of this folder). An answer cut at <paramref name="limit"/> ends at a whole modseq.
    /// </summary>
    Task<FolderChanges> GetFolderChangesAsync(long folderId, long sinceModSeq, int limit = 10_000, CancellationToken cancellationToken = default);
}

/// <summary>An item of a kind the folder does not hold, or a replace that would change an item's kind (DAV 403, REST 400).</summary>
public sealed class ItemKindException(string message) : Exception(message);
