using LinqToDB;
using LinqToDB.Async;
using LinqToDB.Data;
using Rookery.Blobs;

namespace Rookery.Store.Sql;

/// <summary>attachment_storage: where blob content lives.</summary>
public enum AttachmentStorage
{
    Files = 1,
    Database = 2,
}

/// <summary>
/// Blob content and its reference counts. A blob row exists only while its content exists;
/// the row and the references to it commit in one transaction, after the content is durable.
/// </summary>
/// <param name="filesMinSize">
/// attachment_files_min_size: with files storage, content shorter than this is kept in the database all the same
/// (a row costs less than a file to write, fsync, find and remove); 0 keeps all of it in files.
/// </param>
public sealed class BlobStorage(Database database, AttachmentStorage mode, ContentAddressedStore files, TimeProvider? time = null, int filesMinSize = 0)
{
    readonly TimeProvider clock = time ?? TimeProvider.System;

    public AttachmentStorage Mode => mode;

    /// <summary>Where blobs that are not kept in the database live (attachment_storage = files).</summary>
    public ContentAddressedStore Files => files;

    public Task<StagedBlob> StageAsync(Stream content, CancellationToken cancellationToken) =>
        mode == AttachmentStorage.Files ? files.StageAsync(content, filesMinSize, cancellationToken) : MemoryStaging.StageAsync(content, cancellationToken);

    /// <summary>Puts staged file content in its final place before the transaction that references it (see <see cref="ContentAddressedStore.PlaceAhead"/>).</summary>
    internal void PlaceAhead(StagedBlob blob)
    {
        if (mode == AttachmentStorage.Files && blob.Content is null)
            files.PlaceAhead(blob);
    }

    /// <summary>Adds references to a staged blob inside the caller's transaction, storing the content if it is new.</summary>
    internal async Task AddReferencesAsync(DataConnection db, StagedBlob blob, long count, CancellationToken cancellationToken)
    {
        var id = blob.Id.Value;
        while (true)
        {
            if (await IncrementAsync(db, id, count, cancellationToken))
            {
                // A collector that crashed between deleting content and committing leaves a row without content.
                await RestoreContentIfMissingAsync(db, blob, cancellationToken);
                return;
            }
            var storage = blob.Content is null ? AttachmentStorage.Files : AttachmentStorage.Database;
            if (await InsertIfAbsentAsync(db, id, blob.Length, storage, count, cancellationToken))
            {
                if (storage == AttachmentStorage.Files)
                {
                    files.Place(blob);
                }
                else
                {
                    await db.RunAsync("DELETE FROM blob_data WHERE id = @id", cancellationToken, RawSql.P("id", id));
                    await InsertDataAsync(db, id, blob.Content!, cancellationToken);
                }
                return;
            }
            // another transaction inserted the row between our update and insert; count on it now
        }
    }

    /// <remarks>
    /// Every append of content stored already (a message to several recipients, or appended again) passes here:
    /// one prepared query, by position, says where the content is and whether the database holds it.
    /// </remarks>
    async Task RestoreContentIfMissingAsync(DataConnection db, StagedBlob blob, CancellationToken cancellationToken)
    {
        var id = blob.Id.Value;
        var (storage, inDatabase) = (await db.ReadAsync(
            "SELECT storage, CASE WHEN EXISTS (SELECT 1 FROM blob_data d WHERE d.id = @id) THEN 1 ELSE 0 END FROM blobs WHERE id = @id",
            r => (Convert.ToInt32(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), Convert.ToInt32(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture) == 1),
            cancellationToken, RawSql.P("id", id))).Single();
        if (storage == (int)AttachmentStorage.Files)
        {
            if (!files.Exists(blob.Id))
            {
                if (blob.Content is { } content)
                    await files.WriteAsync(blob.Id, content, cancellationToken);
                else
                    files.Place(blob);
            }
        }
        else if (!inDatabase)
        {
            var content = blob.Content;
            if (content is null)
            {
                // staged to a file for files storage: read it back
                await using var stream = files.OpenStaged(blob);
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer, cancellationToken);
                content = buffer.ToArray();
            }
            await InsertDataAsync(db, id, content, cancellationToken);
        }
    }

    static Task InsertDataAsync(DataConnection db, string id, byte[] content, CancellationToken cancellationToken) =>
        db.RunAsync("INSERT INTO blob_data (id, data) VALUES (@id, @data)", cancellationToken, RawSql.P("id", id), RawSql.P("data", content));

    /// <summary>Adds references to a blob that is known to exist (copies).</summary>
    internal static async Task IncrementExistingAsync(DataConnection db, string id, long count, CancellationToken cancellationToken)
    {
        if (!await IncrementAsync(db, id, count, cancellationToken))
            throw new InvalidOperationException($"blob {id} is referenced by an item but has no row");
    }

    internal Task ReleaseAsync(DataConnection db, string id, long count, CancellationToken cancellationToken) =>
        // MySQL evaluates SET left to right: zero_since is computed from the old count first.
        db.RunAsync("UPDATE blobs SET zero_since = CASE WHEN refcount - @count <= 0 THEN @now ELSE NULL END, refcount = refcount - @count WHERE id = @id",
            cancellationToken, RawSql.P("count", count), RawSql.P("now", clock.GetUtcNow().ToUnixTimeMilliseconds()), RawSql.P("id", id));

    /// <param name="length">The content's length when the caller knows it: the file is looked for under the right name first.</param>
    public async Task<Stream> OpenReadAsync(string id, CancellationToken cancellationToken, long? length = null)
    {
        // Content that short is kept in the database now: look there first, one query and no failed file lookups.
        if (length < filesMinSize)
        {
            await using var reader = await database.OpenAsync(cancellationToken);
            if (await reader.ScalarAsync<byte[]?>("SELECT data FROM blob_data WHERE id = @id", cancellationToken, RawSql.P("id", id)) is { } kept)
                return new MemoryStream(kept, writable: false);
        }
        // A blob's id is the SHA-256 of its content: a file by that name holds it, whatever the row says.
        if (files.TryOpenRead(new BlobId(id), length) is { } file)
            return file;
        await using var db = await database.OpenAsync(cancellationToken);
        var storage = await db.ScalarAsync<int?>("SELECT storage FROM blobs WHERE id = @id", cancellationToken, RawSql.P("id", id))
            ?? throw new BlobNotFoundException(new BlobId(id));
        if (storage == (int)AttachmentStorage.Files)
            return files.TryOpenRead(new BlobId(id)) ?? throw new BlobNotFoundException(new BlobId(id));
        var data = await db.ScalarAsync<byte[]?>("SELECT data FROM blob_data WHERE id = @id", cancellationToken, RawSql.P("id", id));
        // convert-attachments may have moved it to a file between the two reads
        return data is null ? files.TryOpenRead(new BlobId(id)) ?? throw new BlobNotFoundException(new BlobId(id)) : new MemoryStream(data, writable: false);
    }

    /// <summary>
    /// Removes blobs that nothing has referenced for <paramref name="grace"/>, files on disk
    /// that no row knows (left by a transaction that failed after placing its file) and stale
    /// temporary files. Returns how many blobs were removed.
    /// </summary>
    public async Task<int> CollectAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var cutoff = (now - grace).ToUnixTimeMilliseconds();
        var removed = 0;
        List<string> candidates;
        await using (var db = await database.OpenAsync(cancellationToken))
        {
            candidates = await db.GetTable<BlobRow>()
                .Where(b => b.RefCount <= 0 && b.ZeroSince != null && b.ZeroSince <= cutoff)
                .Select(b => b.Id)
                .Take(10_000)
                .ToListAsync(cancellationToken);
        }
        foreach (var id in candidates)
        {
            await using var db = await database.OpenAsync(cancellationToken);
            await using var transaction = await db.BeginTransactionAsync(cancellationToken);
            // The delete locks the row: a writer adding a reference now waits, then re-creates row and content.
            var deleted = await db.RunAsync("DELETE FROM blobs WHERE id = @id AND refcount <= 0 AND zero_since IS NOT NULL AND zero_since <= @cutoff",
                cancellationToken, RawSql.P("id", id), RawSql.P("cutoff", cutoff));
            if (deleted == 0)
                continue;
            await db.RunAsync("DELETE FROM blob_data WHERE id = @id", cancellationToken, RawSql.P("id", id));
            await db.RunAsync("DELETE FROM message_structures WHERE blob_id = @id", cancellationToken, RawSql.P("id", id));
            files.Delete(new BlobId(id));
            await transaction.CommitAsync(cancellationToken);
            removed++;
        }

        var known = new HashSet<string>(StringComparer.Ordinal);
        await using (var db = await database.OpenAsync(cancellationToken))
        {
            foreach (var id in await db.GetTable<BlobRow>().Where(b => b.Storage == (int)AttachmentStorage.Files).Select(b => b.Id).ToListAsync(cancellationToken))
                known.Add(id);
        }
        foreach (var id in files.EnumerateIds().ToList())
        {
            if (known.Contains(id.Value) || files.LastWriteTime(id) > now - grace)
                continue;
            // Never delete a file no committed row knows: a writer may be about to commit a row for it.
            // Register it with no references instead; the next collection removes it under the row lock.
            await using var db = await database.OpenAsync(cancellationToken);
            await InsertIfAbsentAsync(db, id.Value, 0, AttachmentStorage.Files, 0, cancellationToken, zeroSince: now.ToUnixTimeMilliseconds());
        }
        files.RemoveStaleTemporaryFiles(grace, now);
        return removed;
    }

    /// <summary>
    /// Moves blobs kept in the database to files, one committed blob at a time, so it can run
    /// beside a live server and resume after an interruption. Content shorter than
    /// attachment_files_min_size stays: files storage keeps it in the database too.
    /// </summary>
    public async Task<int> ConvertDatabaseBlobsToFilesAsync(IProgress<(long Done, long Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        long total;
        await using (var db = await database.OpenAsync(cancellationToken))
            total = await db.GetTable<BlobRow>().LongCountAsync(b => b.Storage == (int)AttachmentStorage.Database && b.Size >= filesMinSize, cancellationToken);
        var converted = 0;
        progress?.Report((0, total));
        while (true)
        {
            List<string> batch;
            await using (var db = await database.OpenAsync(cancellationToken))
            {
                batch = await db.GetTable<BlobRow>()
                    .Where(b => b.Storage == (int)AttachmentStorage.Database && b.Size >= filesMinSize)
                    .OrderBy(b => b.Id)
                    .Select(b => b.Id)
                    .Take(100)
                    .ToListAsync(cancellationToken);
            }
            if (batch.Count == 0)
                break;
            foreach (var id in batch)
            {
                await using var db = await database.OpenAsync(cancellationToken);
                var data = await db.GetTable<BlobDataRow>().Where(d => d.Id == id).Select(d => d.Data).FirstOrDefaultAsync(cancellationToken);
                if (data is not null)
                    await files.WriteAsync(new BlobId(id), data, cancellationToken);
                await using var transaction = await db.BeginTransactionAsync(cancellationToken);
                var updated = await db.GetTable<BlobRow>()
                    .Where(b => b.Id == id && b.Storage == (int)AttachmentStorage.Database)
                    .Set(b => b.Storage, (int)AttachmentStorage.Files)
                    .UpdateAsync(cancellationToken);
                if (updated > 0 && data is null)
                    throw new InvalidDataException($"blob {id} is marked as stored in the database but its content is missing");
                await db.GetTable<BlobDataRow>().DeleteAsync(d => d.Id == id, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                converted++;
                progress?.Report((converted, total));
            }
        }
        return converted;
    }

    static async Task<bool> IncrementAsync(DataConnection db, string id, long count, CancellationToken cancellationToken) =>
        await db.RunAsync("UPDATE blobs SET refcount = refcount + @count, zero_since = NULL WHERE id = @id", cancellationToken,
            RawSql.P("count", count), RawSql.P("id", id)) > 0;

    async Task<bool> InsertIfAbsentAsync(DataConnection db, string id, long size, AttachmentStorage storage, long count, CancellationToken cancellationToken, long? zeroSince = null)
    {
        var verb = database.Engine == DatabaseEngine.MySql ? "INSERT IGNORE INTO" : "INSERT INTO";
        var tail = database.Engine == DatabaseEngine.MySql ? "" : " ON CONFLICT (id) DO NOTHING";
        var inserted = await db.ExecuteAsync(
            $"{verb} blobs (id, size, storage, refcount, zero_since, created_at) VALUES (@id, @size, @storage, @count, @zero, @now){tail}",
            cancellationToken,
            new DataParameter("id", id),
            new DataParameter("size", size),
            new DataParameter("storage", (int)storage),
            new DataParameter("count", count),
            new DataParameter("zero", zeroSince, LinqToDB.DataType.Int64),
            new DataParameter("now", clock.GetUtcNow().ToUnixTimeMilliseconds()));
        return inserted > 0;
    }
}
