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

    /// <summary>The events, tasks or contacts of a folder with this iCalendar or vCard UID (at most one, unless written before UIDs were checked).</summary>
    Task<IReadOnlyList<StoredItem>> FindByUidAsync(long folderId, string uid, CancellationToken cancellationToken = default);

    /// <summary>
    /// The events and tasks of a folder with an instance overlapping [<paramref name="from"/>, <paramref name="to"/>)
    /// as RFC 4791 9.9 says, recurring ones included; floating and all-day times are read in
    /// <paramref name="floatingZone"/> (UTC when null). Answered from the extracted columns; only candidates
    /// that recur or float are opened and expanded.
    /// </summary>
    Task<IReadOnlyList<StoredItem>> ListInTimeRangeAsync(long folderId, DateTimeOffset from, DateTimeOffset to, TimeZoneInfo? floatingZone = null,
        CancellationToken cancellationToken = default);

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
    /// <see cref="ItemContentException"/> for content that is not of its kind (an event that is not iCalendar),
    /// <see cref="ItemUidConflictException"/> when another item of the folder has the same iCalendar or vCard UID,
    /// and <see cref="QuotaExceededException"/> past the hard quota.
    /// </summary>
    Task<ItemWrite> PutItemAsync(long folderId, string? resourceName, ItemContent content, WriteCondition condition, CancellationToken cancellationToken = default);

    /// <summary>Removes the item with this name when <paramref name="condition"/> holds; it leaves a named tombstone.</summary>
    Task<ItemWrite> DeleteItemAsync(long folderId, string resourceName, WriteCondition condition, CancellationToken cancellationToken = default);

    /// <summary>
    /// What happened in one folder after <paramref name="sinceModSeq"/>, oldest first: one row per item that is in the
    /// folder now and changed since — <see cref="ChangeKind.Created"/> when it came into the folder after the position
    /// (created, copied or moved there), else <see cref="ChangeKind.Changed"/> — and one per item that left it:
    /// a tombstone (<see cref="ChangeKind.Deleted"/>) or a move to another folder (<see cref="ChangeKind.Moved"/>,
    /// its <see cref="Change.PreviousFolderId"/> this folder); <see cref="Change.Removes"/> tells them apart. At one
    /// modseq what left comes first. An answer cut at <paramref name="limit"/> ends at a whole modseq.
    /// </summary>
    Task<FolderChanges> GetFolderChangesAsync(long folderId, long sinceModSeq, int limit = 10_000, CancellationToken cancellationToken = default);
}

/// <summary>An item of a kind the folder does not hold, or a replace that would change an item's kind (DAV 403, REST 400).</summary>
public sealed class ItemKindException(string message) : Exception(message);

/// <summary>Another item of the folder has the same iCalendar or vCard UID (CalDAV and CardDAV no-uid-conflict).</summary>
public sealed class ItemUidConflictException(string uid, string resourceName)
    : Exception($"the UID '{uid}' is taken by '{resourceName}' in this folder")
{
    public string Uid => uid;

    /// <summary>The resource name of the item that has the UID.</summary>
    public string ResourceName => resourceName;
}
