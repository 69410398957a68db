using Rookery.Store;

namespace Rookery.Imap;

/// <summary>
/// One message of the selected mailbox as this session knows it: only what may change under it (flags,
/// keywords, modseq) and its place. An idle session holds thousands of these; what never changes (size,
/// dates, fields, content) is read from the store by the commands that need it (<see cref="MailboxView.LoadItemsAsync"/>).
/// </summary>
public sealed class ViewMessage
{
    public ViewMessage(ItemState item)
    {
        Uid = item.Uid;
        Update(item);
    }

    public long Uid { get; }
    public long ModSeq { get; private set; }
    public MessageFlags Flags { get; private set; }
    public IReadOnlyList<string> Keywords { get; private set; } = [];

    /// <summary>Removed from the store, but still numbered in this session until the next point where EXPUNGE may be sent.</summary>
    public bool Expunged { get; set; }

    /// <summary>IMAP4rev1's \Recent: this session is the first to see the message.</summary>
    public bool Recent { get; set; }

    /// <summary>Takes the flags, keywords and modseq of the stored item.</summary>
    public void Update(ItemState item)
    {
        ModSeq = item.ModSeq;
        Flags = item.Flags;
        // a store's lists of keywords are never changed once made: shared, not copied
        Keywords = item.Keywords;
    }

    /// <summary>Whether the stored item differs from what this session knows.</summary>
    public bool DiffersFrom(ItemState item) => Flags != item.Flags || ModSeq != item.ModSeq || !Keywords.SequenceEqual(item.Keywords);
}

/// <summary>
/// The selected mailbox as one session sees it: messages in UID order, numbered from 1. It moves
/// forward from the store's change log only when the session says so, so message numbers change
/// only where RFC 9051 §7.5.1 allows EXPUNGE responses.
/// </summary>
public sealed class MailboxView
{
    readonly List<ViewMessage> messages;
    readonly HashSet<string> keywords = new(StringComparer.OrdinalIgnoreCase);
    bool keywordsAdded;
    /// <summary>Messages added or changed since the last <see cref="TakeTouched"/>, once <see cref="TrackTouched"/> asked for them.</summary>
    HashSet<long>? touched;

    /// <param name="firstRecentUid">Messages from this uid on are \Recent in this session.</param>
    /// <param name="folderKeywords">Every keyword the folder's messages have carried (<see cref="IMailStore.ListKeywordsAsync"/>), read after <paramref name="items"/>.</param>
    public MailboxView(Mailbox mailbox, bool readOnly, IReadOnlyList<ItemState> items, long modSeq, long firstRecentUid, IReadOnlyList<string>? folderKeywords = null)
    {
        Mailbox = mailbox;
        ReadOnly = readOnly;
        // the store lists them in uid order; a SELECT of a big folder should not sort them again
        var ordered = true;
        for (var i = 1; i < items.Count && ordered; i++)
            ordered = items[i - 1].Uid < items[i].Uid;
        messages = new List<ViewMessage>(items.Count);
        long highest = 0;
        foreach (var item in ordered ? items : (IEnumerable<ItemState>)items.OrderBy(i => i.Uid))
        {
            var message = new ViewMessage(item) { Recent = item.Uid >= firstRecentUid };
            messages.Add(message);
            if (message.Keywords.Count > 0)
                keywords.UnionWith(message.Keywords);
            highest = Math.Max(highest, message.ModSeq);
        }
        // FLAGS lists what the folder has carried, not only what its messages carry now: every session of the
        // mailbox announces the same keywords, whenever it opened it
        if (folderKeywords is not null)
            keywords.UnionWith(folderKeywords);
        ModSeq = modSeq;
        HighestModSeq = Math.Max(mailbox.Folder.ModSeq, highest);
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

    /// <summary>The sequence number of the message with <paramref name="uid"/>; 0 when the view has none.</summary>
    public int SequenceOf(long uid)
    {
        int low = 0, high = messages.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var found = messages[middle].Uid;
            if (found == uid)
                return middle + 1;
            if (found < uid)
                low = middle + 1;
            else
                high = middle - 1;
        }
        return 0;
    }

    public void Rename(Mailbox mailbox) => Mailbox = mailbox;

    /// <summary>Every keyword a message of this view has carried since it was opened, in the order FLAGS lists them.</summary>
    public IReadOnlyList<string> Keywords => [.. keywords.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Whether a message took a keyword the session has not announced yet (RFC 9051 §7.3.5: the client learns
    /// of it from an untagged FLAGS before any FETCH carries it); true once per new batch of them.
    /// </summary>
    public bool TakeNewKeywords()
    {
        var added = keywordsAdded;
        keywordsAdded = false;
        return added;
    }

    void Update(ViewMessage message, ItemState item)
    {
        message.Update(item);
        NoteKeywords(message);
        touched?.Add(message.Uid);
    }

    /// <summary>From now on, remember which messages arrive or change (for searches kept up to date, RFC 5267).</summary>
    public void TrackTouched() => touched ??= [];

    /// <summary>The UIDs of the messages that arrived or changed since the last call (in no order), and forgets them.</summary>
    public IReadOnlyCollection<long> TakeTouched()
    {
        if (touched is not { Count: > 0 } taken)
            return [];
        touched = [];
        return taken;
    }

    void NoteKeywords(ViewMessage message)
    {
        foreach (var keyword in message.Keywords)
            keywordsAdded |= keywords.Add(keyword);
    }

    /// <summary>
    /// Takes the states a flag change of this session's own left its messages in. When that write took
    /// the store's next modseq, nothing of anyone else's came between, so it also counts as read from
    /// the change log: the log has nothing more for the view up to it. Otherwise the next sync reads it.
    /// </summary>
    public void TakeOwnFlagChanges(IReadOnlyList<ItemInfo> changed)
    {
        foreach (var item in changed)
        {
            if (SequenceOf(item.Uid) is var seq && seq > 0)
                Update(messages[seq - 1], item.State);
        }
        if (changed.Count > 0 && changed[0].ModSeq == ModSeq + 1)
        {
            ModSeq = changed[0].ModSeq;
            HighestModSeq = Math.Max(HighestModSeq, ModSeq);
        }
    }

    /// <summary>What a sync found: messages that appeared, changed flags, or went away.</summary>
    public sealed record Delta(int Added, IReadOnlyList<ViewMessage> FlagsChanged, IReadOnlyList<long> Removed, bool MailboxGone);

    /// <summary>Brings the view up to the store's change log; removed messages stay numbered (Expunged) until <see cref="TakeExpunged"/>.</summary>
    /// <param name="committed">The newest modseq a notification told of, when the sync follows one: the changes up to it may come from what another session of the store read.</param>
    public async Task<Delta> SyncAsync(IMailStore store, long storeId, CancellationToken cancellationToken, long? committed = null)
    {
        var changes = await store.GetChangesAsync(storeId, ModSeq, cancellationToken: cancellationToken, committed: committed);
        if (changes.Count == 0)
            return new Delta(0, [], [], false);
        var newest = changes[^1].ModSeq;
        var gone = changes.Any(c => c.Entity == ChangeEntity.Folder && c.ObjectId == FolderId && c.Kind == ChangeKind.Deleted);
        // the folder's keyword list grew: a keyword can come and go on messages between two looks at them
        if (!gone && changes.Any(c => c.Entity == ChangeEntity.Folder && c.ObjectId == FolderId && c.Kind == ChangeKind.Changed))
        {
            foreach (var keyword in await store.ListKeywordsAsync(FolderId, cancellationToken))
                keywordsAdded |= keywords.Add(keyword);
        }
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
        // Items that appeared or changed here, unless this view already holds them as changed (the
        // session's own STORE): only then are their states read.
        var unknown = false;
        foreach (var change in changes)
        {
            if (change.Entity != ChangeEntity.Item || change.FolderId != FolderId || change.Kind == ChangeKind.Deleted)
                continue;
            if (change.Uid is { } u && SequenceOf(u) is var seq && seq > 0 && messages[seq - 1].ModSeq >= change.ModSeq)
                HighestModSeq = Math.Max(HighestModSeq, change.ModSeq);
            else
                unknown = true;
        }
        var added = 0;
        var flagsChanged = new List<ViewMessage>();
        if (!gone && unknown)
        {
            var updated = await store.ListItemStatesAsync(FolderId, ModSeq, cancellationToken);
            foreach (var item in updated.OrderBy(i => i.Uid))
            {
                HighestModSeq = Math.Max(HighestModSeq, item.ModSeq);
                var seq = SequenceOf(item.Uid);
                if (seq > 0)
                {
                    var known = messages[seq - 1];
                    if (!known.Expunged && known.DiffersFrom(item))
                    {
                        Update(known, item);
                        flagsChanged.Add(known);
                    }
                }
                else if (item.Uid >= UidNext || messages.Count == 0 || item.Uid > messages[^1].Uid)
                {
                    var message = new ViewMessage(item);
                    messages.Add(message);
                    NoteKeywords(message);
                    touched?.Add(message.Uid);
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

    /// <summary>Messages one <see cref="LoadItemsAsync"/> query reads at most, and the gap in sequence numbers it reads over rather than start another.</summary>
    const int LoadRun = 250, LoadGap = 16;

    /// <summary>
    /// The stored items of <paramref name="targets"/> (sequence numbers in ascending order), by UID: one
    /// query per run of nearby messages. A message the store no longer has (expunged by another session,
    /// not yet reported here) has none. Only their unchanging parts are to be used: flags, keywords and
    /// modseq are the view's until it syncs.
    /// </summary>
    public async Task<Dictionary<long, ItemInfo>> LoadItemsAsync(IMailStore store, IReadOnlyList<(int Seq, ViewMessage Message)> targets, CancellationToken cancellationToken, bool withFields = true)
    {
        var result = new Dictionary<long, ItemInfo>(targets.Count);
        var start = 0;
        while (start < targets.Count)
        {
            var end = start;
            while (end + 1 < targets.Count && targets[end + 1].Seq - targets[end].Seq <= LoadGap && targets[end + 1].Seq - targets[start].Seq < LoadRun)
                end++;
            var wanted = targets.Skip(start).Take(end - start + 1).Where(t => !t.Message.Expunged).Select(t => t.Message.Uid).ToHashSet();
            if (wanted.Count > 0)
            {
                var items = await store.ListItemsAsync(FolderId, new ItemQuery { UidFrom = targets[start].Message.Uid, UidTo = targets[end].Message.Uid, WithFields = withFields }, cancellationToken);
                foreach (var item in items)
                {
                    if (wanted.Contains(item.Uid))
                        result[item.Uid] = item;
                }
            }
            start = end + 1;
        }
        return result;
    }
}
