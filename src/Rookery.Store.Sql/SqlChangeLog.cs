using System.Data.Common;

namespace Rookery.Store.Sql;

/// <summary>
/// The change log, as every sync protocol reads it (docs/storage.md, "The store and its change log"): a store's
/// rows in modseq order for IMAP's sessions, shared between them through a window of the newest rows; a folder's
/// changes for DAV sync-collection, ActiveSync and REST, with "position expired" past the horizon; and the pruning
/// that moves the horizon. The rows themselves are written by <see cref="StoreWriter.LogAsync"/> in each write's
/// transaction.
/// </summary>
sealed class SqlChangeLog(StoreWriter writer)
{
    Database Database => writer.Database;

    /// <summary>The most rows a store's window keeps; a reader that wants more reads the database.</summary>
    public const int WindowSize = ChangeWindow.Size;

    public async Task<IReadOnlyList<Change>> GetChangesAsync(long storeId, long sinceModSeq, int limit = 10_000, long? committed = null, CancellationToken cancellationToken = default)
    {
        if (committed is not { } known || limit < ChangeWindow.Size)
            return await ReadChangesAsync(storeId, sinceModSeq, limit, cancellationToken);
        var window = changeWindows.GetOrAdd(storeId, _ => new ChangeWindow());
        if (window.TryTake(sinceModSeq, known, limit) is { } cached)
            return cached;
        // read what the window lacks and keep it for the other sessions of the store
        var from = window.ExtendsFrom(sinceModSeq);
        var read = await ReadChangesAsync(storeId, from, limit, cancellationToken);
        if (read.Count >= limit)
            return from == sinceModSeq ? read : await ReadChangesAsync(storeId, sinceModSeq, limit, cancellationToken);
        window.Add(from, read);
        if (from == sinceModSeq)
            return read;
        // what was read joins what the window had; another reader may have moved it meanwhile
        return window.TryTake(sinceModSeq, known, limit) ?? await ReadChangesAsync(storeId, sinceModSeq, limit, cancellationToken);
    }

    /// <summary>The rows of a store's log after <paramref name="sinceModSeq"/>, from the database.</summary>
    public async Task<List<Change>> ReadChangesAsync(long storeId, long sinceModSeq, int limit, CancellationToken cancellationToken)
    {
        await using var db = await Database.OpenAsync(cancellationToken);
        // every session reads this after every change to its store: read by position, not mapped by name
        static long? Optional(System.Data.Common.DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
        return await db.ReadAsync(
            "SELECT modseq, entity, kind, object_id, folder_id, uid, at, prev_folder_id, prev_uid, item_kind, resource_name FROM changes " +
            "WHERE store_id = @store AND modseq > @since ORDER BY modseq, id LIMIT @limit",
            r =>
            {
                var entity = (ChangeEntity)r.GetInt32(1);
                var id = r.GetInt64(3);
                return new Change(r.GetInt64(0), entity, (ChangeKind)r.GetInt32(2), id, r.GetInt64(4), Optional(r, 5),
                    DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)))
                {
                    PreviousFolderId = Optional(r, 7),
                    PreviousUid = Optional(r, 8),
                    ItemKind = r.IsDBNull(9) ? ItemKind.Mail : (ItemKind)r.GetInt32(9),
                    ResourceName = entity != ChangeEntity.Item ? null : r.IsDBNull(10) ? Items.GeneratedName(id) : r.GetString(10),
                };
            },
            cancellationToken, RawSql.P("store", storeId), RawSql.P("since", sinceModSeq), RawSql.P("limit", (long)limit));
    }

    readonly System.Collections.Concurrent.ConcurrentDictionary<long, ChangeWindow> changeWindows = new();

    /// <summary>
    /// The newest rows of one store's change log as read from the database, shared by its sessions: after a
    /// commit every session with the store open reads the same new rows, and only the first has to.
    /// </summary>
    /// <remarks>
    /// It holds every row with <c>Low &lt; modseq &lt;= High</c>, nothing else. That stays true because the log
    /// only grows at its end: a store's modseqs are taken under its row lock and commit in their order (a
    /// single writer on SQLite), so a read that returns rows up to modseq M, uncut by its LIMIT, has every
    /// row up to M — in any process, since what is kept here is only what the database said.
    /// </remarks>
    sealed class ChangeWindow
    {
        public const int Size = 4096;
        readonly Lock gate = new();
        readonly List<Change> rows = [];
        long low = -1, high = -1;

        /// <summary>The rows after <paramref name="since"/>, when the window has all of them up to <paramref name="committed"/>.</summary>
        public List<Change>? TryTake(long since, long committed, int limit)
        {
            lock (gate)
            {
                if (low < 0 || since < low || committed > high)
                    return null;
                var start = FirstAfter(since);
                return rows.Count - start > limit ? null : rows.GetRange(start, rows.Count - start);
            }
        }

        /// <summary>Where a read should start to extend the window for a caller that needs the rows after <paramref name="since"/>.</summary>
        public long ExtendsFrom(long since)
        {
            lock (gate)
                return low >= 0 && since >= low && since < high ? high : since;
        }

        /// <summary>Takes the rows a read after <paramref name="from"/> returned, whole (not cut by its LIMIT).</summary>
        public void Add(long from, List<Change> read)
        {
            lock (gate)
            {
                var last = read.Count > 0 ? read[^1].ModSeq : from;
                if (low >= 0 && from == high)
                {
                    rows.AddRange(read);
                    high = last;
                }
                else if (low < 0 || from > high || last > high)
                {
                    // not adjacent to what is kept: start again from this read
                    rows.Clear();
                    rows.AddRange(read);
                    low = from;
                    high = last;
                }
                if (rows.Count > Size)
                {
                    // drop the oldest, a whole modseq at a time
                    var cut = rows[rows.Count - Size / 2].ModSeq;
                    var keep = FirstAfter(cut - 1);
                    rows.RemoveRange(0, keep);
                    low = cut - 1;
                }
            }
        }

        int FirstAfter(long modseq)
        {
            int lo = 0, hi = rows.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >> 1;
                if (rows[mid].ModSeq <= modseq)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            return lo;
        }
    }

    /// <remarks>
    /// What is in the folder now comes from the items themselves (their modseq, and the modseq at which they came
    /// into it), what left it from the log's tombstones and moves, which alone the per-folder indexes hold: a flag
    /// change, the commonest write, costs those indexes nothing. The reads go in this order so the answer is right
    /// while writers commit and the log is pruned: the store's committed modseq first (everything up to it is in
    /// the rows, or pruned), then the items and the log rows up to it, then the horizon. A pruner moves the horizon
    /// before it deletes rows, so a reader that may have missed a pruned tombstone sees the moved horizon and
    /// answers "expired".
    /// </remarks>
    public async Task<FolderChanges> GetFolderChangesAsync(long folderId, long sinceModSeq, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var db = await Database.OpenAsync(cancellationToken);
        var stores = await db.ReadAsync("SELECT s.id, s.modseq FROM folders f JOIN stores s ON s.id = f.store_id WHERE f.id = @folder",
            r => (Id: r.GetInt64(0), ModSeq: r.GetInt64(1)), cancellationToken, RawSql.P("folder", folderId));
        if (stores.Count == 0)
            throw new StoreObjectNotFoundException($"folder {folderId}");
        var (storeId, committed) = stores[0];
        var window = new[] { RawSql.P("folder", folderId), RawSql.P("since", sinceModSeq), RawSql.P("committed", committed), RawSql.P("limit", (long)limit + 1) };
        // what is there: one row per item, as it is now
        var present = await db.ReadAsync(
            "SELECT id, kind, resource_name, uid, modseq, arrived_modseq, received_at FROM items " +
            "WHERE folder_id = @folder AND modseq > @since AND modseq <= @committed ORDER BY modseq LIMIT @limit",
            r =>
            {
                var id = r.GetInt64(0);
                return new Change(r.GetInt64(4), ChangeEntity.Item, r.GetInt64(5) > sinceModSeq ? ChangeKind.Created : ChangeKind.Changed, id, folderId,
                    r.GetInt64(3), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)))
                {
                    ItemKind = (ItemKind)r.GetInt32(1),
                    ResourceName = r.IsDBNull(2) ? Items.GeneratedName(id) : r.GetString(2),
                };
            },
            cancellationToken, window);
        // what left: tombstones, and moves to another folder
        const string Select = "SELECT modseq, kind, object_id, folder_id, uid, at, prev_folder_id, prev_uid, item_kind, resource_name, id FROM changes ";
        var removed = await db.ReadAsync(
            $"SELECT * FROM ({Select}WHERE folder_id = @folder AND kind = {(int)ChangeKind.Deleted} AND entity = 1 AND modseq > @since AND modseq <= @committed " +
            $"UNION ALL {Select}WHERE prev_folder_id = @folder AND kind = {(int)ChangeKind.Moved} AND entity = 1 AND folder_id <> @folder " +
            "AND modseq > @since AND modseq <= @committed) c ORDER BY modseq, id LIMIT @limit",
            ReadChange, cancellationToken, window);
        var horizon = await db.ScalarAsync<long>("SELECT changes_horizon FROM stores WHERE id = @id", cancellationToken, RawSql.P("id", storeId));
        if (sinceModSeq < horizon)
            return new FolderChanges(true, committed, [], false);
        // at one modseq what left comes before what is there: a replaced message's old UID goes before its new one
        var rows = removed.Select(c => (Change: c, Order: 0)).Concat(present.Select(c => (Change: c, Order: 1)))
            .OrderBy(x => x.Change.ModSeq).ThenBy(x => x.Order).Select(x => x.Change).ToList();
        var cutAt = Math.Min(present.Count > limit ? present[limit].ModSeq : long.MaxValue, removed.Count > limit ? removed[limit].ModSeq : long.MaxValue);
        if (rows.Count > limit)
            cutAt = Math.Min(cutAt, rows[limit].ModSeq);
        if (cutAt == long.MaxValue)
            return new FolderChanges(false, Math.Max(committed, sinceModSeq), rows, false);
        // cut at a whole modseq: one transaction's rows come together or not at all
        rows.RemoveAll(c => c.ModSeq >= cutAt);
        if (rows.Count > 0)
            return new FolderChanges(false, rows[^1].ModSeq, rows, true);
        var whole = await GetFolderChangesAsync(folderId, cutAt - 1, int.MaxValue - 1, cancellationToken);
        return whole.Expired ? whole : whole with { Changes = whole.Changes.Where(c => c.ModSeq == cutAt).ToList(), Position = cutAt, More = true };
    }

    static Change ReadChange(DbDataReader r)
    {
        static long? Optional(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
        var id = r.GetInt64(2);
        var kind = r.IsDBNull(8) ? ItemKind.Mail : (ItemKind)r.GetInt32(8);
        return new Change(r.GetInt64(0), ChangeEntity.Item, (ChangeKind)r.GetInt32(1), id, r.GetInt64(3), Optional(r, 4),
            DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)))
        {
            PreviousFolderId = Optional(r, 6),
            PreviousUid = Optional(r, 7),
            ItemKind = kind,
            ResourceName = r.IsDBNull(9) ? Items.GeneratedName(id) : r.GetString(9),
        };
    }

    /// <summary>
    /// Prunes every store's change log of the rows written before <paramref name="before"/>, in batches, and
    /// returns how many went. Each store's horizon moves first (committed on its own), then its rows go.
    /// </summary>
    public async Task<long> PruneChangesAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        const int Batch = 5_000;
        var cutoff = before.ToUnixTimeMilliseconds();
        List<(long Store, long Horizon)> horizons;
        await using (var db = await Database.OpenAsync(cancellationToken))
        {
            horizons = await db.ReadAsync(
                "SELECT store_id, MAX(modseq) FROM changes WHERE at < @cutoff GROUP BY store_id",
                r => (r.GetInt64(0), r.GetInt64(1)), cancellationToken, RawSql.P("cutoff", cutoff));
        }
        long pruned = 0;
        foreach (var (store, horizon) in horizons)
        {
            // a row at the horizon's modseq written after the cutoff goes with its transaction's others
            await writer.WriteUnversionedAsync(db => db.RunAsync(
                "UPDATE stores SET changes_horizon = @horizon WHERE id = @id AND changes_horizon < @horizon", cancellationToken,
                RawSql.P("horizon", horizon), RawSql.P("id", store)), cancellationToken);
            while (true)
            {
                var deleted = await writer.WriteUnversionedAsync(async db =>
                {
                    var ids = await db.ReadAsync("SELECT id FROM changes WHERE store_id = @store AND modseq <= @horizon LIMIT @batch",
                        r => r.GetInt64(0), cancellationToken, RawSql.P("store", store), RawSql.P("horizon", horizon), RawSql.P("batch", (long)Batch));
                    return ids.Count == 0 ? 0 : await db.RunOnceAsync($"DELETE FROM changes WHERE id IN ({RawSql.InlineList(ids)})", cancellationToken);
                }, cancellationToken);
                pruned += deleted;
                if (deleted < Batch)
                    break;
            }
        }
        return pruned;
    }
}
