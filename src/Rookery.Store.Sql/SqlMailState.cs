using System.Data.Common;
using LinqToDB;
using LinqToDB.Async;
using LinqToDB.Data;
using static Rookery.Store.Sql.MailRows;
using static Rookery.Store.Sql.StoreWriter;

namespace Rookery.Store.Sql;

/// <summary>
/// The mail layer's own state over the item store: IMAP's \Recent claims, mailbox subscriptions, message flags and
/// keywords (with each folder's keyword list), the item states an IMAP view is built from, and the structure
/// descriptions (ENVELOPE, BODYSTRUCTURE) kept once per content.
/// </summary>
sealed class SqlMailState(StoreWriter writer, SqlChangeLog changeLog)
{
    Database database => writer.Database;

    /// <summary>
    /// The claims of this process, ahead of the database: a claim is answered here and written behind,
    /// so neither SELECT nor the updates after an APPEND wait for a commit. RFC 9051 §2.3.2 lets a
    /// server call a message recent when it cannot tell whether another session saw it first, which is
    /// all that a claim lost to a crash, or made at the same moment by another process, amounts to.
    /// </summary>
    readonly Dictionary<long, long> recentClaims = [];

    public async Task<long> ClaimRecentAsync(long folderId, FolderInfo? asRead = null, CancellationToken cancellationToken = default)
    {
        (long RecentUid, long UidNext) folder;
        if (asRead is not null && asRead.Id == folderId)
            folder = (asRead.RecentUid, asRead.UidNext);
        else
        {
            await using var db = await database.OpenAsync(cancellationToken);
            var rows = await db.ReadAsync("SELECT recent_uid, uid_next FROM folders WHERE id = @id", r => (r.GetInt64(0), r.GetInt64(1)),
                cancellationToken, RawSql.P("id", folderId));
            folder = rows.Count > 0 ? rows[0] : throw new StoreObjectNotFoundException($"folder {folderId}");
        }
        long claimed;
        lock (recentClaims)
        {
            claimed = Math.Max(folder.RecentUid, recentClaims.GetValueOrDefault(folderId));
            if (claimed >= folder.UidNext)
                return folder.UidNext;
            recentClaims[folderId] = folder.UidNext;
        }
        // Written behind; a write that fails only makes the messages recent once more.
        _ = writer.WriteUnversionedAsync(db => db.RunAsync("UPDATE folders SET recent_uid = @next WHERE id = @id AND recent_uid < @next", CancellationToken.None,
                RawSql.P("next", folder.UidNext), RawSql.P("id", folderId)), CancellationToken.None, stateOnly: true)
            .ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        return claimed;
    }

    // ---- subscriptions ----

    public async Task<IReadOnlyList<string>> ListSubscriptionsAsync(long storeId, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var names = await db.ListAsync<string>("SELECT name FROM subscriptions WHERE store_id = @id", cancellationToken, RawSql.P("id", storeId));
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public async Task SetSubscriptionAsync(long storeId, string name, bool subscribed, CancellationToken cancellationToken = default)
    {
        if (name.Length > 700)
            throw new FolderOperationException("a mailbox name can be at most 700 characters");
        await writer.WriteUnversionedAsync(async db =>
        {
            var table = db.GetTable<SubscriptionRow>();
            if (!subscribed)
                return await table.Where(s => s.StoreId == storeId && s.Name == name).DeleteAsync(cancellationToken);
            if (await table.AnyAsync(s => s.StoreId == storeId && s.Name == name, cancellationToken))
                return 0;
            try
            {
                return await db.InsertAsync(new SubscriptionRow { StoreId = storeId, Name = name }, token: cancellationToken);
            }
            catch (DbException)
            {
                // subscribed concurrently by another session: the outcome is the same; anything else is a real error
                if (!await table.AnyAsync(s => s.StoreId == storeId && s.Name == name, cancellationToken))
                    throw;
                return 0;
            }
        }, cancellationToken);
    }

    /// <summary>The folder with this process's \Recent claim on it, when that is further on than the database's.</summary>
    public FolderInfo WithRecent(FolderInfo folder) =>
        RecentUidOf(folder.Id, folder.RecentUid) is var recent && recent != folder.RecentUid ? folder with { RecentUid = recent } : folder;

    /// <summary>A folder's first unclaimed uid: the database's, or this process's claim when that is further on.</summary>
    long RecentUidOf(long folderId, long stored)
    {
        lock (recentClaims)
            return Math.Max(stored, recentClaims.GetValueOrDefault(folderId));
    }

    public async Task<IReadOnlyList<string>> ListKeywordsAsync(long folderId, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        return await db.ReadAsync("SELECT keyword FROM folder_keywords WHERE folder_id = @folder", r => r.GetString(0), cancellationToken, RawSql.P("folder", folderId));
    }

    /// <summary>The longest keyword <see cref="ListKeywordsAsync"/> keeps (a longer one is still kept on its messages).</summary>
    const int MaxFolderKeyword = 255;

    /// <summary>
    /// Adds <paramref name="keywords"/>, which messages of the folder carry now, to its keyword list, and logs a
    /// change of the folder when one of them is new there: open views learn of it even when no message carries
    /// it any more by the time they look.
    /// </summary>
    public async Task NoteFolderKeywordsAsync(DataConnection db, long storeId, long modseq, long folderId, IEnumerable<string> keywords, CancellationToken cancellationToken)
    {
        var insert = database.Engine switch
        {
            DatabaseEngine.MySql => "INSERT IGNORE INTO folder_keywords (folder_id, keyword) VALUES (@folder, @keyword)",
            _ => "INSERT INTO folder_keywords (folder_id, keyword) VALUES (@folder, @keyword) ON CONFLICT (folder_id, keyword) DO NOTHING",
        };
        var added = false;
        // in one order in every transaction, so two writers never wait on each other in a cycle
        foreach (var keyword in keywords.Where(k => k.Length <= MaxFolderKeyword).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            added |= await db.RunAsync(insert, cancellationToken, RawSql.P("folder", folderId), RawSql.P("keyword", keyword)) > 0;
        if (added)
            await writer.LogAsync(db, storeId, modseq, ChangeEntity.Folder, ChangeKind.Changed, folderId, folderId, null, cancellationToken);
    }

    public async Task<IReadOnlyList<ItemState>> ListItemStatesAsync(long folderId, long? changedSince = null, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        if (changedSince is { } since)
            return await ReadStatesAsync(db, folderId, since, cancellationToken);
        if (folderStates.Get(folderId) is { } kept)
        {
            // a big folder read before: bring it forward by the change log, re-reading only what changed
            var changes = await changeLog.ReadChangesAsync(kept.StoreId, kept.ModSeq, SqlChangeLog.WindowSize, cancellationToken);
            // read after the rows: a pruner moves the horizon before it deletes any (see SqlItems.GetFolderChangesAsync)
            var horizon = await db.ScalarAsync<long>("SELECT changes_horizon FROM stores WHERE id = @id", cancellationToken, RawSql.P("id", kept.StoreId));
            if (changes.Count < SqlChangeLog.WindowSize && kept.ModSeq >= horizon)
            {
                var (removed, changed, gone) = FolderStates.Affecting(folderId, changes);
                if (!gone)
                {
                    var modSeq = changes.Count > 0 ? changes[^1].ModSeq : kept.ModSeq;
                    var states = removed.Count == 0 && !changed ? kept.States
                        : FolderStates.Merge(kept.States, removed, changed ? await ReadStatesAsync(db, folderId, kept.ModSeq, cancellationToken) : []);
                    if (modSeq > kept.ModSeq)
                        folderStates.Put(folderId, new FolderStates.Entry(kept.StoreId, modSeq, states));
                    return states;
                }
            }
            folderStates.Forget(folderId);
        }
        // what the store had committed before the rows are read: the states hold every change up to it
        var store = await db.ReadAsync("SELECT f.store_id, s.modseq FROM folders f JOIN stores s ON s.id = f.store_id WHERE f.id = @folder",
            r => (StoreId: r.GetInt64(0), ModSeq: r.GetInt64(1)), cancellationToken, RawSql.P("folder", folderId));
        var all = (await ReadStatesAsync(db, folderId, null, cancellationToken)).ToArray();
        if (store.Count == 1 && all.Length >= FolderStates.MinimumItems)
            folderStates.Put(folderId, new FolderStates.Entry(store[0].StoreId, store[0].ModSeq, all));
        return all;
    }

    /// <summary>Item states in uid order: every one of the folder, or those changed after <paramref name="since"/>.</summary>
    static async Task<List<ItemState>> ReadStatesAsync(DataConnection db, long folderId, long? since, CancellationToken cancellationToken)
    {
        static ItemState Read(System.Data.Common.DbDataReader r) =>
            new(r.GetInt64(0), r.GetInt64(1), (MessageFlags)r.GetInt32(2), r.GetString(3) is { Length: > 0 } keywords ? SplitKeywords(keywords) : []);
        return since is { } after
            ? await db.ReadAsync("SELECT uid, modseq, flags, keywords FROM items WHERE folder_id = @folder AND modseq > @since ORDER BY uid", Read, cancellationToken,
                RawSql.P("folder", folderId), RawSql.P("since", after))
            : await db.ReadAsync("SELECT uid, modseq, flags, keywords FROM items WHERE folder_id = @folder ORDER BY uid", Read, cancellationToken,
                RawSql.P("folder", folderId));
    }

    readonly FolderStates folderStates = new();

    public async Task<FlagResult> SetFlagsAsync(long folderId, IReadOnlyCollection<long> uids, FlagChange change, CancellationToken cancellationToken = default)
    {
        var storeId = await writer.StoreIdOfFolderAsync(folderId, cancellationToken);
        return await writer.WriteAsync([storeId], async (db, modseq) =>
        {
            var m = modseq[storeId];
            var changed = new List<ItemInfo>();
            var failed = new List<long>();
            var missing = new List<long>();
            var applied = false; // whether a keyword the change adds is on a message now
            foreach (var chunk in uids.Distinct().Chunk(Chunk))
            {
                var rows = await LoadItemsAsync(db, folderId, chunk, cancellationToken, whole: false);
                if (rows.Count == 0)
                    await EnsureFolderExistsAsync(db, folderId, cancellationToken);
                if (rows.Count < chunk.Length)
                {
                    var found = rows.Select(r => r.Uid).ToHashSet();
                    missing.AddRange(chunk.Where(uid => !found.Contains(uid)));
                }
                foreach (var row in rows)
                {
                    if (change.UnchangedSince is { } limit && row.ModSeq > limit)
                    {
                        failed.Add(row.Uid);
                        continue;
                    }
                    var flags = (MessageFlags)row.Flags;
                    var keywords = SplitKeywords(row.Keywords);
                    var (newFlags, newKeywords) = Apply(change, flags, keywords);
                    if (change.Operation != FlagOperation.Remove && change.Keywords.Count > 0)
                        applied = true;
                    if (newFlags == flags && newKeywords.SequenceEqual(keywords, StringComparer.OrdinalIgnoreCase))
                        continue;
                    row.Flags = (int)newFlags;
                    row.Keywords = JoinKeywords(newKeywords);
                    row.ModSeq = m;
                    await db.RunAsync("UPDATE items SET flags = @flags, keywords = @keywords, modseq = @modseq WHERE id = @id", cancellationToken,
                        RawSql.P("flags", row.Flags), RawSql.P("keywords", row.Keywords), RawSql.P("modseq", m), RawSql.P("id", row.Id));
                    await writer.LogAsync(db, storeId, m, ChangeEntity.Item, ChangeKind.Changed, row.Id, folderId, row.Uid, cancellationToken,
                        itemKind: (ItemKind)row.Kind, resourceName: row.ResourceName);
                    changed.Add(ToInfo(row));
                }
            }
            if (applied)
                await NoteFolderKeywordsAsync(db, storeId, m, folderId, change.Keywords, cancellationToken);
            if (changed.Count > 0)
                await TouchFolderAsync(db, folderId, m, cancellationToken);
            return new FlagResult(changed, failed, missing);
        }, cancellationToken, stateOnly: true);
    }

    static (MessageFlags, List<string>) Apply(FlagChange change, MessageFlags flags, List<string> keywords)
    {
        var set = new List<string>(keywords);
        switch (change.Operation)
        {
            case FlagOperation.Add:
                flags |= change.Flags;
                foreach (var k in change.Keywords)
                    if (!set.Contains(k, StringComparer.OrdinalIgnoreCase))
                        set.Add(k);
                break;
            case FlagOperation.Remove:
                flags &= ~change.Flags;
                set.RemoveAll(k => change.Keywords.Contains(k, StringComparer.OrdinalIgnoreCase));
                break;
            default:
                flags = change.Flags;
                set = change.Keywords.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                break;
        }
        return (flags, set);
    }

    public async Task<IReadOnlyDictionary<string, byte[]>> GetStructuresAsync(IReadOnlyCollection<ItemInfo> items, CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<string, byte[]>(items.Count, StringComparer.Ordinal);
        if (items.Count == 0)
            return found;
        await using var db = await database.OpenAsync(cancellationToken);
        foreach (var chunk in items.Select(i => i.BlobId).Distinct(StringComparer.Ordinal).Chunk(Chunk))
        {
            var names = string.Join(", ", Enumerable.Range(0, chunk.Length).Select(i => "@b" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var parameters = chunk.Select((id, i) => RawSql.P("b" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), id)).ToArray();
            foreach (var row in await db.ListOnceAsync<StructureRow>($"SELECT blob_id, structure FROM message_structures WHERE blob_id IN ({names})", cancellationToken, parameters))
                found[row.BlobId] = row.Structure;
        }
        return found;
    }

    // a description can always be made again: its fsync may follow like a state change's
    public Task SaveStructureAsync(ItemInfo item, byte[] structure, CancellationToken cancellationToken = default) =>
        writer.WriteUnversionedAsync(async db =>
        {
            await InsertStructureAsync(db, item.BlobId, structure, replace: true, cancellationToken);
            return 0;
        }, cancellationToken, stateOnly: true);

    /// <summary>
    /// Keeps a content's structure description. At ingest the content's first description stays (the same
    /// content has the same structure); a late one replaces what is there, which a reader found unusable.
    /// </summary>
    public Task InsertStructureAsync(DataConnection db, string blobId, byte[] structure, bool replace, CancellationToken cancellationToken)
    {
        var mysql = database.Engine == DatabaseEngine.MySql;
        var sql = (mysql, replace) switch
        {
            (true, false) => "INSERT IGNORE INTO message_structures (blob_id, structure) VALUES (@blob, @structure)",
            (true, true) => "INSERT INTO message_structures (blob_id, structure) VALUES (@blob, @structure) ON DUPLICATE KEY UPDATE structure = VALUES(structure)",
            (false, false) => "INSERT INTO message_structures (blob_id, structure) VALUES (@blob, @structure) ON CONFLICT (blob_id) DO NOTHING",
            (false, true) => "INSERT INTO message_structures (blob_id, structure) VALUES (@blob, @structure) ON CONFLICT (blob_id) DO UPDATE SET structure = excluded.structure",
        };
        return db.RunAsync(sql, cancellationToken, RawSql.P("blob", blobId), RawSql.P("structure", structure));
    }
}
