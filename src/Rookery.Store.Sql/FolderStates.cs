using Rookery.Store;

namespace Rookery.Store.Sql;

/// <summary>
/// The states (uid, modseq, flags, keywords) of the items of big folders as last read, shared by every
/// session that opens one: an IMAP SELECT of a 100,000-message folder then reads only what the change log
/// says changed since, not every row again. Bounded: folders under <see cref="MinimumItems"/> are not kept,
/// and no more than <see cref="MaximumItems"/> states in all (the least recently used folders go first).
/// </summary>
/// <remarks>
/// An entry is right as of its <see cref="Entry.ModSeq"/>: every change of the folder up to that modseq is in
/// it (some later ones may be too). Bringing it forward reads the store's change log after that modseq (the
/// log only grows at its end, in modseq order: see <c>ChangeWindow</c>), drops the items that left the
/// folder, and re-reads the rows of the folder whose modseq is newer. A row read newer than the log is
/// harmless: whoever uses the states syncs from the modseq it read before asking, and applying a change
/// twice is applying it once. Nothing here is trusted across processes beyond what the database said.
/// It relies on the log holding every change after an entry's modseq: whatever prunes the change log one
/// day must drop the entries older than what it prunes (or the sessions' views would be wrong as well).
/// </remarks>
sealed class FolderStates
{
    public const int MinimumItems = 2_000;
    public const int MaximumItems = 1_000_000;

    public sealed record Entry(long StoreId, long ModSeq, ItemState[] States)
    {
        public long LastUsed;
    }

    readonly Lock gate = new();
    readonly Dictionary<long, Entry> entries = [];
    long total;
    long clock;

    public Entry? Get(long folderId)
    {
        lock (gate)
        {
            if (!entries.TryGetValue(folderId, out var entry))
                return null;
            entry.LastUsed = ++clock;
            return entry;
        }
    }

    /// <summary>Keeps <paramref name="entry"/> for the folder, unless an entry at least as new is kept already.</summary>
    public void Put(long folderId, Entry entry)
    {
        lock (gate)
        {
            if (entries.TryGetValue(folderId, out var kept))
            {
                if (kept.ModSeq > entry.ModSeq)
                    return;
                total -= kept.States.Length;
                entries.Remove(folderId);
            }
            if (entry.States.Length < MinimumItems)
                return;
            entry.LastUsed = ++clock;
            entries[folderId] = entry;
            total += entry.States.Length;
            while (total > MaximumItems && entries.Count > 1)
            {
                var oldest = entries.MinBy(e => e.Value.LastUsed);
                entries.Remove(oldest.Key);
                total -= oldest.Value.States.Length;
            }
        }
    }

    public void Forget(long folderId)
    {
        lock (gate)
        {
            if (entries.Remove(folderId, out var kept))
                total -= kept.States.Length;
        }
    }

    /// <summary>
    /// What <paramref name="changes"/> (the store's log after an entry's modseq) did to the folder: the uids that
    /// left it, whether items of it were added or changed (their rows are to be read again), whether it went away.
    /// </summary>
    public static (ISet<long> Removed, bool Changed, bool Gone) Affecting(long folderId, IReadOnlyList<Change> changes)
    {
        var removed = new HashSet<long>();
        var changed = false;
        foreach (var change in changes)
        {
            if (change.Entity == ChangeEntity.Folder)
            {
                if (change.ObjectId == folderId && change.Kind == ChangeKind.Deleted)
                    return (removed, changed, true);
                continue;
            }
            if (change.Entity != ChangeEntity.Item)
                continue;
            if (change.Kind == ChangeKind.Deleted && change.FolderId == folderId && change.Uid is { } gone)
                removed.Add(gone);
            else if (change.Kind == ChangeKind.Moved && change.PreviousFolderId == folderId && change.FolderId != folderId && change.PreviousUid is { } left)
                removed.Add(left);
            if (change.Kind != ChangeKind.Deleted && change.FolderId == folderId)
                changed = true;
        }
        return (removed, changed, false);
    }

    /// <summary>The states with those of <paramref name="removed"/> left out and <paramref name="updated"/> (by uid) put in, in uid order.</summary>
    public static ItemState[] Merge(ItemState[] states, ISet<long> removed, IReadOnlyList<ItemState> updated)
    {
        var result = new List<ItemState>(states.Length + updated.Count);
        var byUid = updated.Count == 0 ? null : updated.ToDictionary(s => s.Uid);
        foreach (var state in states)
        {
            if (removed.Contains(state.Uid))
                continue;
            if (byUid is not null && byUid.Remove(state.Uid, out var newer))
                result.Add(newer);
            else
                result.Add(state);
        }
        if (byUid is { Count: > 0 })
        {
            // new items: after every kept one in the common case (uids only grow), sorted in anyway
            var last = result.Count > 0 ? result[^1].Uid : 0;
            var added = byUid.Values.Where(s => !removed.Contains(s.Uid)).OrderBy(s => s.Uid).ToList();
            result.AddRange(added);
            if (added.Count > 0 && added[0].Uid < last)
                result.Sort((a, b) => a.Uid.CompareTo(b.Uid));
        }
        return [.. result];
    }
}
