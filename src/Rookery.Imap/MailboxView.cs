using Rookery.Store;

namespace Rookery.Imap;

/// <summary>One message of the selected mailbox as this session knows it.</summary>
public sealed class ViewMessage(ItemInfo item)
{
    public ItemInfo Item { get; set; } = item;
    public long Uid => Item.Uid;
    /// <summary>Removed from the store, but still numbered in this session until the next point where EXPUNGE may be sent.</summary>
    public bool Expunged { get; set; }

    /// <summary>IMAP4rev1's \Recent: this session is the first to see the message.</summary>
    public bool Recent { get; set; }
}

/// <summary>
/// The selected mailbox as one session sees it: messages in UID order, numbered from 1. It moves
/// forward from the store's change log only when the session says so, so message numbers change
/// only where RFC 9051 §7.5.1 allows EXPUNGE responses.
/// </summary>
public sealed class MailboxView
{
    readonly List<ViewMessage> messages;

    /// <param name="firstRecentUid">Messages from this uid on are \Recent in this session.</param>
    public MailboxView(Mailbox mailbox, bool readOnly, IReadOnlyList<ItemInfo> items, long modSeq, long firstRecentUid)
    {
        Mailbox = mailbox;
        ReadOnly = readOnly;
        messages = items.OrderBy(i => i.Uid).Select(i => new ViewMessage(i) { Recent = i.Uid >= firstRecentUid }).ToList();
        ModSeq = modSeq;
        HighestModSeq = Math.Max(mailbox.Folder.ModSeq, messages.Count == 0 ? 0 : messages.Max(m => m.Item.ModSeq));
        UidNext = Math.Max(mailbox.Folder.UidNext, messages.Count == 0 ? 1 : messages[^1].Uid + 1);
    }

    /// <summary>CONDSTORE's HIGHESTMODSEQ: the newest change this view has seen in its mailbox.</summary>
    public long HighestModSeq { get; private set; }

    public Mailbox Mailbox { get; private set; }
    public long FolderId => Mailbox.Folder.Id;
    public bool ReadOnly { get; }
    /// <summary>The store modseq this view is up to date with.</summary>
    public long ModSeq { get; private set; }
    public long UidNext { get; private set; }
    public int Count => messages.Count;
    public int RecentCount => messages.Count(m => m.Recent && !m.Expunged);
    public IReadOnlyList<ViewMessage> Messages => messages;

    /// <summary>The message with sequence number <paramref name="seq"/> (1-based).</summary>
    public ViewMessage this[int seq] => messages[seq - 1];

    public int SequenceOf(long uid)
    {
        var index = messages.BinarySearch(new ViewMessage(Placeholder(uid)), UidComparer.Instance);
        return index < 0 ? 0 : index + 1;
    }

    public void Rename(Mailbox mailbox) => Mailbox = mailbox;

    /// <summary>What a sync found: messages that appeared, changed flags, or went away.</summary>
    public sealed record Delta(int Added, IReadOnlyList<ViewMessage> FlagsChanged, IReadOnlyList<long> Removed, bool MailboxGone);

    /// <summary>Brings the view up to the store's change log; removed messages stay numbered (Expunged) until <see cref="TakeExpunged"/>.</summary>
    public async Task<Delta> SyncAsync(IMailStore store, long storeId, CancellationToken cancellationToken)
    {
        var changes = await store.GetChangesAsync(storeId, ModSeq, cancellationToken: cancellationToken);
        if (changes.Count == 0)
            return new Delta(0, [], [], false);
        var newest = changes[^1].ModSeq;
        var gone = changes.Any(c => c.Entity == ChangeEntity.Folder && c.ObjectId == FolderId && c.Kind == ChangeKind.Deleted);
        var removed = new List<long>();
        foreach (var change in changes)
        {
            if (change.Entity != ChangeEntity.Item)
                continue;
            var leftThisFolder = (change.Kind == ChangeKind.Deleted && change.FolderId == FolderId)
                || (change.Kind == ChangeKind.Moved && change.PreviousFolderId == FolderId && change.FolderId != FolderId);
            var uid = change.Kind == ChangeKind.Moved ? change.PreviousUid : change.Uid;
            if (leftThisFolder)
                HighestModSeq = Math.Max(HighestModSeq, change.ModSeq);
            if (leftThisFolder && uid is { } u && SequenceOf(u) is var seq && seq > 0 && !messages[seq - 1].Expunged)
            {
                messages[seq - 1].Expunged = true;
                removed.Add(u);
            }
        }
        var added = 0;
        var flagsChanged = new List<ViewMessage>();
        if (!gone)
        {
            var updated = await store.ListItemsAsync(FolderId, new ItemQuery { ChangedSince = ModSeq }, cancellationToken);
            foreach (var item in updated.OrderBy(i => i.Uid))
            {
                HighestModSeq = Math.Max(HighestModSeq, item.ModSeq);
                var seq = SequenceOf(item.Uid);
                if (seq > 0)
                {
                    var known = messages[seq - 1];
                    if (!known.Expunged && (known.Item.Flags != item.Flags || !known.Item.Keywords.SequenceEqual(item.Keywords) || known.Item.ModSeq != item.ModSeq))
                    {
                        known.Item = item;
                        flagsChanged.Add(known);
                    }
                }
                else if (item.Uid >= UidNext || messages.Count == 0 || item.Uid > messages[^1].Uid)
                {
                    messages.Add(new ViewMessage(item));
                    UidNext = Math.Max(UidNext, item.Uid + 1);
                    added++;
                }
            }
        }
        ModSeq = Math.Max(ModSeq, newest);
        return new Delta(added, flagsChanged, removed, gone);
    }

    /// <summary>Drops expunged messages; returns their sequence numbers in the order EXPUNGE responses must be sent (highest first keeps later numbers valid).</summary>
    public IReadOnlyList<(int Seq, long Uid)> TakeExpunged()
    {
        var result = new List<(int, long)>();
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Expunged)
            {
                result.Add((i + 1, messages[i].Uid));
                messages.RemoveAt(i);
            }
        }
        return result;
    }

    public bool HasPendingExpunges => messages.Any(m => m.Expunged);

    static ItemInfo Placeholder(long uid) => new(0, 0, uid, 0, "", 0, MessageFlags.None, [], default, new ItemFields());

    sealed class UidComparer : IComparer<ViewMessage>
    {
        public static readonly UidComparer Instance = new();
        public int Compare(ViewMessage? x, ViewMessage? y) => x!.Uid.CompareTo(y!.Uid);
    }
}
