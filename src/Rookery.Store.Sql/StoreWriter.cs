using LinqToDB;
using LinqToDB.Data;

namespace Rookery.Store.Sql;

/// <summary>
/// The write path every part of the SQL store shares: a transaction that takes the next modseq of each store it
/// writes to, the change-log rows, and the bookkeeping of folders and stores (uids, counts, sizes, quota) that
/// every kind of write does. On SQLite it holds the process's one <see cref="GroupCommit"/>.
/// </summary>
sealed class StoreWriter(Database database, BlobStorage blobs, IChangeNotifier notifier, TimeProvider clock)
{
    const int MaxAttempts = 5;
    readonly GroupCommit? groupCommit = database.Engine == DatabaseEngine.Sqlite ? new GroupCommit(database, notifier) : null;

    public Database Database => database;

    public BlobStorage Blobs => blobs;

    /// <summary>SQLite: whether an acknowledged state change is not yet fsynced (see <see cref="SqlMailStore.HasUnsyncedStateChanges"/>).</summary>
    public bool HasUnsynced => groupCommit?.HasUnsynced ?? false;

    public long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Runs <paramref name="body"/> in a transaction that has taken the next modseq of each
    /// store (locking their rows in id order, so two writers never deadlock), then commits
    /// and publishes the change.
    /// </summary>
    /// <param name="stateOnly">The write changes only messages' state (flags, expunges): on SQLite its fsync may follow its acknowledgement (see <see cref="GroupCommit"/>).</param>
    public async Task<T> WriteAsync<T>(long[] storeIds, Func<DataConnection, IReadOnlyDictionary<long, long>, Task<T>> body, CancellationToken cancellationToken, bool stateOnly = false)
    {
        if (groupCommit is not null)
            return await groupCommit.RunAsync(storeIds, body, stateOnly, cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await WriteOnceAsync(storeIds, body, cancellationToken);
            }
            catch (Exception e) when (attempt < MaxAttempts && Database.IsTransient(e))
            {
                // A deadlock victim rolled back completely; the body is safe to run again.
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Runs a write that changes no item, so takes no modseq and tells no session (\Recent claims,
    /// structure descriptions, subscriptions). On SQLite it joins the group commit, where it never
    /// waits on the write lock beside it; elsewhere it runs on a connection of its own.
    /// </summary>
    public async Task<T> WriteUnversionedAsync<T>(Func<DataConnection, Task<T>> body, CancellationToken cancellationToken, bool stateOnly = false)
    {
        if (groupCommit is not null)
            return await groupCommit.RunAsync([], (db, _) => body(db), stateOnly, cancellationToken);
        await using var db = await database.OpenAsync(cancellationToken);
        return await body(db);
    }

    async Task<T> WriteOnceAsync<T>(long[] storeIds, Func<DataConnection, IReadOnlyDictionary<long, long>, Task<T>> body, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<long, long> modseqs;
        T result;
        await using (var db = await database.OpenAsync(cancellationToken))
        {
            // READ COMMITTED: every read after the store-row locks sees what committed before them
            // (MySQL's REPEATABLE READ would read an older snapshot), and InnoDB takes no gap locks.
            await using var transaction = await db.BeginTransactionAsync(database.WriteIsolation, cancellationToken);
            modseqs = await TakeModSeqsAsync(db, database.Engine, storeIds.Distinct().Order().ToArray(), cancellationToken);
            result = await body(db, modseqs);
            await transaction.CommitAsync(cancellationToken);
        }
        foreach (var (storeId, modseq) in modseqs)
            notifier.Publish(new StoreChanged(storeId, modseq));
        return result;
    }

    /// <summary>Takes the next modseq of each store, locking their rows in the (ascending) order given.</summary>
    public static async Task<IReadOnlyDictionary<long, long>> TakeModSeqsAsync(DataConnection db, DatabaseEngine engine, long[] orderedStoreIds, CancellationToken cancellationToken)
    {
        var modseqs = new Dictionary<long, long>(orderedStoreIds.Length);
        foreach (var storeId in orderedStoreIds)
        {
            var id = RawSql.P("id", storeId);
            long? modseq;
            if (engine == DatabaseEngine.MySql)
            {
                modseq = await db.RunAsync("UPDATE stores SET modseq = modseq + 1 WHERE id = @id", cancellationToken, id) == 0
                    ? null
                    : await db.ScalarAsync<long>("SELECT modseq FROM stores WHERE id = @id", cancellationToken, id);
            }
            else
            {
                modseq = await db.ScalarAsync<long?>("UPDATE stores SET modseq = modseq + 1 WHERE id = @id RETURNING modseq", cancellationToken, id);
            }
            modseqs[storeId] = modseq ?? throw new StoreObjectNotFoundException($"store {storeId}");
        }
        return modseqs;
    }

    public static async Task EnsureQuotaAsync(DataConnection db, long storeId, long growth, QuotaLimits limits, CancellationToken cancellationToken)
    {
        if (limits.Hard <= 0 || growth <= 0)
            return;
        var size = await db.ScalarAsync<long>("SELECT size FROM stores WHERE id = @id", cancellationToken, RawSql.P("id", storeId));
        CheckQuota(storeId, size, growth, limits);
    }

    public static void CheckQuota(long storeId, long size, long growth, QuotaLimits limits)
    {
        if (limits.Hard > 0 && growth > 0 && size + growth > limits.Hard)
            throw new QuotaExceededException(storeId, size + growth, limits.Hard);
    }

    public async Task ReleaseBlobsAsync(DataConnection db, IEnumerable<string> blobIds, CancellationToken cancellationToken)
    {
        foreach (var group in blobIds.GroupBy(id => id, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            await blobs.ReleaseAsync(db, group.Key, group.Count(), cancellationToken);
    }

    public static async Task<(long FirstUid, long UidValidity)> TakeUidsAsync(DataConnection db, DatabaseEngine engine, long folderId, int count, long modseq, long bytes, CancellationToken cancellationToken)
    {
        const string Update = "UPDATE folders SET uid_next = uid_next + @count, modseq = @modseq, message_count = message_count + @count, size = size + @bytes WHERE id = @id";
        DataParameter[] parameters = [RawSql.P("count", (long)count), RawSql.P("modseq", modseq), RawSql.P("bytes", bytes), RawSql.P("id", folderId)];
        FolderRow? folder;
        if (engine == DatabaseEngine.MySql)
        {
            folder = await db.RunAsync(Update, cancellationToken, parameters) == 0
                ? null
                : (await db.ListAsync<FolderRow>("SELECT uid_next, uid_validity FROM folders WHERE id = @id", cancellationToken, RawSql.P("id", folderId)))[0];
        }
        else
        {
            folder = await db.FirstOrDefaultAsync<FolderRow>(Update + " RETURNING uid_next, uid_validity", cancellationToken, parameters);
        }
        if (folder is null)
            throw new StoreObjectNotFoundException($"folder {folderId}");
        return (folder.UidNext - count, folder.UidValidity);
    }

    public static Task ReleaseFromFolderAsync(DataConnection db, long folderId, int count, long bytes, long modseq, CancellationToken cancellationToken) =>
        db.RunAsync("UPDATE folders SET message_count = message_count - @count, size = size - @bytes, modseq = @modseq WHERE id = @id", cancellationToken,
            RawSql.P("count", (long)count), RawSql.P("bytes", bytes), RawSql.P("modseq", modseq), RawSql.P("id", folderId));

    public static Task TouchFolderAsync(DataConnection db, long folderId, long modseq, CancellationToken cancellationToken) =>
        db.RunAsync("UPDATE folders SET modseq = @modseq WHERE id = @id", cancellationToken, RawSql.P("modseq", modseq), RawSql.P("id", folderId));

    public static Task AddStoreSizeAsync(DataConnection db, long storeId, long delta, CancellationToken cancellationToken) =>
        delta == 0 ? Task.CompletedTask : db.RunAsync("UPDATE stores SET size = size + @delta WHERE id = @id", cancellationToken, RawSql.P("delta", delta), RawSql.P("id", storeId));

    /// <summary>
    /// Leaves a change-log row. <paramref name="itemKind"/> and <paramref name="resourceName"/> are written for
    /// items that are not mail or that were named by their writer; a row without them is a mail item's, whose
    /// name is generated from its id (<see cref="Items.GeneratedName"/>), so mail pays nothing for them.
    /// </summary>
    public Task LogAsync(DataConnection db, long storeId, long modseq, ChangeEntity entity, ChangeKind kind, long objectId, long folderId, long? uid,
        CancellationToken cancellationToken, long? previousFolderId = null, long? previousUid = null, ItemKind? itemKind = null, string? resourceName = null) =>
        db.RunAsync(
            "INSERT INTO changes (store_id, modseq, entity, kind, object_id, folder_id, uid, prev_folder_id, prev_uid, at, item_kind, resource_name) " +
            "VALUES (@store, @modseq, @entity, @kind, @object, @folder, @uid, @prevFolder, @prevUid, @at, @itemKind, @name)",
            cancellationToken,
            RawSql.P("store", storeId), RawSql.P("modseq", modseq), RawSql.P("entity", (int)entity), RawSql.P("kind", (int)kind),
            RawSql.P("object", objectId), RawSql.P("folder", folderId), RawSql.P("uid", uid),
            RawSql.P("prevFolder", previousFolderId), RawSql.P("prevUid", previousUid), RawSql.P("at", Now),
            RawSql.P("itemKind", itemKind is ItemKind.Mail or null ? null : (int?)itemKind), RawSql.P("name", resourceName));

    /// <summary>The store a folder belongs to, in one query.</summary>
    public async Task<StoreInfo> StoreOfFolderAsync(long folderId, CancellationToken cancellationToken)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var row = await db.FirstOrDefaultAsync<StoreRow>(
            "SELECT s.* FROM folders f JOIN stores s ON s.id = f.store_id WHERE f.id = @folder", cancellationToken, RawSql.P("folder", folderId));
        if (row is null)
            throw new StoreObjectNotFoundException($"folder {folderId}");
        if (folderStores.Count >= MaxFolderStores)
            folderStores.Clear();
        folderStores[folderId] = row.Id;
        return row.ToInfo();
    }

    /// <summary>
    /// Which store each folder seen so far is in. A folder never moves to another store and its id is
    /// never reused, so this needs no invalidation; a write to a folder deleted meanwhile (by any
    /// process) finds it gone in its own transaction (<see cref="EnsureFolderExistsAsync"/>).
    /// </summary>
    readonly System.Collections.Concurrent.ConcurrentDictionary<long, long> folderStores = new();
    const int MaxFolderStores = 100_000;

    /// <summary>The id of the store a folder is in, without a query for a folder seen before: flag changes and expunges ask it every time.</summary>
    public async Task<long> StoreIdOfFolderAsync(long folderId, CancellationToken cancellationToken) =>
        folderStores.TryGetValue(folderId, out var storeId) ? storeId : (await StoreOfFolderAsync(folderId, cancellationToken)).Id;

    /// <summary>Throws what the write would have without the store id kept: the folder is not there (any more).</summary>
    public static async Task EnsureFolderExistsAsync(DataConnection db, long folderId, CancellationToken cancellationToken)
    {
        if (await db.ScalarAsync<long?>("SELECT id FROM folders WHERE id = @id", cancellationToken, RawSql.P("id", folderId)) is null)
            throw new StoreObjectNotFoundException($"folder {folderId}");
    }
}
