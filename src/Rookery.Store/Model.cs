namespace Rookery.Store;

/// <summary>What kind of store: one private store per user, one public store per company, archives.</summary>
public enum StoreKind
{
    Private = 1,
    Public = 2,
    Archive = 3,
}

/// <summary>The kind of items a folder holds (the original's container class, IPF.Note and friends).</summary>
public enum ContainerClass
{
    Mail = 1,
    Calendar = 2,
    Contacts = 3,
    Tasks = 4,
    Notes = 5,
    Journal = 6,
    Files = 7,
}

/// <summary>The role of a default folder.</summary>
public enum SpecialUse
{
    None = 0,
    Inbox = 1,
    Drafts = 2,
    SentItems = 3,
    DeletedItems = 4,
    Junk = 5,
    Outbox = 6,
    Calendar = 7,
    Contacts = 8,
    Tasks = 9,
    Notes = 10,
    Journal = 11,
    Files = 12,
}

/// <summary>System flags of an item, as IMAP knows them.</summary>
[Flags]
public enum MessageFlags
{
    None = 0,
    Seen = 1,
    Answered = 2,
    Flagged = 4,
    Deleted = 8,
    Draft = 16,
}

public sealed record StoreInfo(long Id, StoreKind Kind, string Owner, string Locale, long ModSeq, long Size);

public sealed record FolderInfo(
    long Id,
    long StoreId,
    long? ParentId,
    string Name,
    ContainerClass ContainerClass,
    SpecialUse SpecialUse,
    long UidValidity,
    long UidNext,
    long ModSeq,
    long MessageCount,
    long Size)
{
    /// <summary>IMAP \Recent: the first uid no session has claimed yet (see <see cref="IMailStore.ClaimRecentAsync"/>).</summary>
    public long RecentUid { get; init; }
}

/// <summary>
/// The fields extracted from an item's content once, at ingest, so that lists and searches
/// never parse a blob.
/// </summary>
public sealed record ItemFields
{
    public string Subject { get; init; } = "";
    public string From { get; init; } = "";
    public string To { get; init; } = "";
    public string Cc { get; init; } = "";
    public string MessageId { get; init; } = "";
    public DateTimeOffset? SentAt { get; init; }
}

/// <summary>The parts of an item that change after it is stored: what a session keeps of each message it shows.</summary>
public sealed record ItemState(long Uid, long ModSeq, MessageFlags Flags, IReadOnlyList<string> Keywords);

public sealed record ItemInfo(
    long Id,
    long FolderId,
    long Uid,
    long ModSeq,
    string BlobId,
    long Size,
    MessageFlags Flags,
    IReadOnlyList<string> Keywords,
    DateTimeOffset ReceivedAt,
    ItemFields Fields)
{
    /// <summary>
    /// Header lines written for this copy only (Return-Path, Delivered-To), in front of the shared
    /// content; <see cref="Size"/> and the content a reader gets include them.
    /// </summary>
    public ReadOnlyMemory<byte> TraceHeaders { get; init; }

    public ItemState State => new(Uid, ModSeq, Flags, Keywords);
}

/// <summary>What an append writes besides the content.</summary>
public sealed record AppendRequest
{
    public MessageFlags Flags { get; init; }
    public IReadOnlyList<string> Keywords { get; init; } = [];
    public DateTimeOffset? ReceivedAt { get; init; }
    public ItemFields Fields { get; init; } = new();
    /// <summary>Header lines for this copy only, put in front of the shared content: each ends with CRLF.</summary>
    public ReadOnlyMemory<byte> TraceHeaders { get; init; }
    /// <summary>
    /// The content's structure as <see cref="IStructureDescriber"/> describes it, kept once per content
    /// (every copy shares it); null leaves it to be computed on first use.
    /// </summary>
    public byte[]? Structure { get; init; }
}

public sealed record AppendResult(long ItemId, long Uid, long ModSeq, long UidValidity);

public enum FlagOperation
{
    Add,
    Remove,
    Replace,
}

public sealed record FlagChange(FlagOperation Operation, MessageFlags Flags, IReadOnlyList<string> Keywords)
{
    /// <summary>CONDSTORE: only items whose modseq is at most this value are changed.</summary>
    public long? UnchangedSince { get; init; }
}

/// <param name="Changed">The items whose flags changed, as they are now: their state, size and date (<see cref="ItemInfo.Fields"/> is left empty).</param>
/// <param name="FailedUids">Items left alone because they changed after UNCHANGEDSINCE.</param>
/// <param name="MissingUids">Uids the folder does not hold (any more): expunged or moved away.</param>
public sealed record FlagResult(IReadOnlyList<ItemInfo> Changed, IReadOnlyList<long> FailedUids, IReadOnlyList<long> MissingUids);

/// <summary>One uid in the source folder and the uid its copy got in the target.</summary>
public sealed record UidMapping(long SourceUid, long TargetUid);

public sealed record CopyResult(long TargetUidValidity, IReadOnlyList<UidMapping> Mappings);

public enum ChangeKind
{
    Created = 1,
    Changed = 2,
    Moved = 3,
    Deleted = 4,
}

public enum ChangeEntity
{
    Item = 1,
    Folder = 2,
}

/// <summary>One row of a store's change log. Deleted items and folders leave tombstones here.</summary>
public sealed record Change(long ModSeq, ChangeEntity Entity, ChangeKind Kind, long ObjectId, long FolderId, long? Uid, DateTimeOffset At)
{
    /// <summary>For a move within a store: where the object was before (folder, and uid for items). For a folder: its old parent.</summary>
    public long? PreviousFolderId { get; init; }

    public long? PreviousUid { get; init; }

    /// <summary>For an item: its kind.</summary>
    public ItemKind ItemKind { get; init; } = ItemKind.Mail;

    /// <summary>For an item: its resource name, tombstones included (generated ones too); null for a folder.</summary>
    public string? ResourceName { get; init; }

    /// <summary>Whether this change took an item out of <paramref name="folderId"/>: deleted there, or moved away from it.</summary>
    public bool Removes(long folderId) =>
        Entity == ChangeEntity.Item
        && ((Kind == ChangeKind.Deleted && FolderId == folderId) || (Kind == ChangeKind.Moved && PreviousFolderId == folderId && FolderId != folderId));
}

/// <summary>Published after a commit: which store changed, and up to which modseq.</summary>
public sealed record StoreChanged(long StoreId, long ModSeq);

/// <summary>Which items a listing returns; every criterion is optional and they combine with AND.</summary>
public sealed record ItemQuery
{
    public long? UidFrom { get; init; }
    public long? UidTo { get; init; }
    public long? ChangedSince { get; init; }
    public MessageFlags FlagsSet { get; init; }
    public MessageFlags FlagsClear { get; init; }
    public string? Keyword { get; init; }
    public string? SubjectContains { get; init; }
    public string? FromContains { get; init; }
    public string? ToContains { get; init; }
    public string? CcContains { get; init; }
    public string? MessageId { get; init; }
    public DateTimeOffset? ReceivedBefore { get; init; }
    public DateTimeOffset? ReceivedSince { get; init; }
    public DateTimeOffset? SentBefore { get; init; }
    public DateTimeOffset? SentSince { get; init; }
    public long? LargerThan { get; init; }
    public long? SmallerThan { get; init; }
    public int? Limit { get; init; }

    /// <summary>
    /// Whether the header fields extracted at ingest (<see cref="ItemInfo.Fields"/>) are read; without them each
    /// item's <see cref="ItemInfo.Fields"/> is empty. A FETCH of sizes, dates or content needs none of them.
    /// </summary>
    public bool WithFields { get; init; } = true;
}
