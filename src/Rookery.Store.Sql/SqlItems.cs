using System.Data.Common;
using LinqToDB.Data;
using Rookery.Blobs;
using static Rookery.Store.Sql.StoreWriter;

namespace Rookery.Store.Sql;

/// <summary>
/// The item store on a relational database (<see cref="IItemStore"/>): items of every kind by resource name,
/// written through the shared <see cref="StoreWriter"/>, and each folder's changes read from the change log.
/// </summary>
sealed class SqlItems(StoreWriter writer, IQuotaPolicy quota)
{
    Database Database => writer.Database;

    const string Columns = "SELECT id, store_id, folder_id, kind, resource_name, content_type, uid, modseq, blob_id, size FROM items";

    static StoredItem Read(DbDataReader r)
    {
        var id = r.GetInt64(0);
        var kind = (ItemKind)r.GetInt32(3);
        return new StoredItem(id, r.GetInt64(1), r.GetInt64(2), kind,
            r.IsDBNull(4) ? Items.GeneratedName(id) : r.GetString(4),
            r.IsDBNull(5) ? Items.DefaultContentType(kind) : r.GetString(5),
            r.GetInt64(6), r.GetInt64(7), r.GetString(8), r.GetInt64(9));
    }

    public async Task<StoredItem?> FindAsync(long folderId, string resourceName, CancellationToken cancellationToken)
    {
        await using var db = await Database.OpenAsync(cancellationToken);
        return await FindAsync(db, folderId, resourceName, cancellationToken);
    }

    static async Task<StoredItem?> FindAsync(DataConnection db, long folderId, string resourceName, CancellationToken cancellationToken)
    {
        var rows = Items.ParseGeneratedName(resourceName) is { } id
            ? await db.ReadAsync(Columns + " WHERE id = @id AND folder_id = @folder AND resource_name IS NULL", Read, cancellationToken,
                RawSql.P("id", id), RawSql.P("folder", folderId))
            : await db.ReadAsync(Columns + " WHERE folder_id = @folder AND resource_name = @name", Read, cancellationToken,
                RawSql.P("folder", folderId), RawSql.P("name", resourceName));
        return rows.Count > 0 ? rows[0] : null;
    }

    public async Task<IReadOnlyList<StoredItem>> ListAsync(long folderId, CancellationToken cancellationToken)
    {
        await using var db = await Database.OpenAsync(cancellationToken);
        return await db.ReadAsync(Columns + " WHERE folder_id = @folder", Read, cancellationToken, RawSql.P("folder", folderId));
    }

    public async Task<IReadOnlyList<StoredItem>> FindByUidAsync(long folderId, string uid, CancellationToken cancellationToken)
    {
        await using var db = await Database.OpenAsync(cancellationToken);
        return await db.ReadAsync(Columns + " WHERE id IN (SELECT item_id FROM calendar_items WHERE folder_id = @folder AND uid_key = @uid " +
            "UNION ALL SELECT item_id FROM contact_items WHERE folder_id = @folder AND uid_key = @uid)",
            Read, cancellationToken, RawSql.P("folder", folderId), RawSql.P("uid", Items.UidKey(uid)));
    }

    /// <summary>
    /// The events and tasks of a folder with an instance in [<paramref name="from"/>, <paramref name="to"/>): the
    /// columns find the candidates, and only those that recur or float are opened and expanded.
    /// </summary>
    public async Task<IReadOnlyList<StoredItem>> ListInTimeRangeAsync(long folderId, DateTimeOffset from, DateTimeOffset to, TimeZoneInfo? floatingZone,
        CancellationToken cancellationToken)
    {
        List<(StoredItem Item, bool Expand, long? Start, long? End)> candidates;
        var (fromMs, toMs) = (from.ToUnixTimeMilliseconds(), to.ToUnixTimeMilliseconds());
        await using (var db = await Database.OpenAsync(cancellationToken))
        {
            candidates = await db.ReadAsync(
                "SELECT i.id, i.store_id, i.folder_id, i.kind, i.resource_name, i.content_type, i.uid, i.modseq, i.blob_id, i.size, " +
                "c.recurs, c.floating, c.starts_at, c.ends_at FROM calendar_items c JOIN items i ON i.id = c.item_id " +
                "WHERE c.folder_id = @folder AND (c.starts_at IS NULL OR c.starts_at < @to) AND (c.ends_at IS NULL OR c.ends_at >= @from)",
                r => (Read(r), Convert.ToBoolean(r.GetValue(10), System.Globalization.CultureInfo.InvariantCulture)
                    || Convert.ToBoolean(r.GetValue(11), System.Globalization.CultureInfo.InvariantCulture),
                    r.IsDBNull(12) ? (long?)null : r.GetInt64(12), r.IsDBNull(13) ? (long?)null : r.GetInt64(13)),
                cancellationToken, RawSql.P("folder", folderId), RawSql.P("from", fromMs), RawSql.P("to", toMs));
        }
        var found = new List<StoredItem>(candidates.Count);
        foreach (var (item, expand, start, end) in candidates)
        {
            if (!expand)
            {
                // one zoned instance: its bounds are exact (RFC 4791 9.9: an instance of no length matches where it starts)
                if (start is not { } s || end is not { } e || (s < toMs && (e > fromMs || (e == s && s >= fromMs))))
                    found.Add(item);
                continue;
            }
            await using var stream = await OpenContentAsync(item, cancellationToken);
            using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
            if (CalendarFields.Overlaps(await reader.ReadToEndAsync(cancellationToken), item.Kind, from, to, floatingZone))
                found.Add(item);
        }
        return found;
    }

    public Task<Stream> OpenContentAsync(StoredItem item, CancellationToken cancellationToken) =>
        writer.Blobs.OpenReadAsync(item.BlobId, cancellationToken, item.Size);

    public async Task<ItemWrite> PutAsync(long folderId, string? resourceName, ItemContent content, WriteCondition condition, CancellationToken cancellationToken)
    {
        if (resourceName is not null && Items.ParseGeneratedName(resourceName) is null)
            Items.ValidateName(resourceName);
        var contentType = content.ContentType is { } given && given != Items.DefaultContentType(content.Kind) ? CleanContentType(given) : null;
        var owner = await writer.StoreOfFolderAsync(folderId, cancellationToken);
        var storeId = owner.Id;
        var limits = await quota.GetLimitsAsync(owner, cancellationToken);
        var blob = content.Content;
        if (resourceName is null || condition.IfNoneMatch is ["*"])
        {
            // only a create: refuse what cannot fit before the content is placed, as an append does
            CheckQuota(storeId, owner.Size, blob.Length, limits);
        }
        var fields = await ExtractAsync(content.Kind, blob, cancellationToken);
        writer.Blobs.PlaceAhead(blob);
        return await writer.WriteAsync([storeId], async (db, modseq) =>
        {
            var m = modseq[storeId];
            var container = await db.ScalarAsync<int?>("SELECT container_class FROM folders WHERE id = @id", cancellationToken, RawSql.P("id", folderId))
                ?? throw new StoreObjectNotFoundException($"folder {folderId}");
            if (!Items.Fits(content.Kind, (ContainerClass)container))
                throw new ItemKindException($"a {(ContainerClass)container} folder does not hold items of kind {content.Kind}");
            var existing = resourceName is null ? null : await FindAsync(db, folderId, resourceName, cancellationToken);
            if (!condition.Allows(existing?.ETag))
                return new ItemWrite(ItemWriteOutcome.PreconditionFailed, existing);
            if (existing is null)
            {
                if (resourceName is not null && Items.ParseGeneratedName(resourceName) is not null)
                    throw new ItemNameException($"no item is named '{resourceName}', and names of that form are the server's to give");
                await EnsureUidFreeAsync(db, folderId, fields, null, cancellationToken);
                var created = await CreateAsync(db, storeId, m, folderId, resourceName, content.Kind, contentType, blob, limits, cancellationToken);
                await InsertFieldsAsync(db, created.Id, folderId, fields, cancellationToken);
                return new ItemWrite(ItemWriteOutcome.Created, created);
            }
            if (existing.Kind != content.Kind)
                throw new ItemKindException($"'{existing.ResourceName}' is of kind {existing.Kind}; it cannot become {content.Kind}");
            await EnsureUidFreeAsync(db, folderId, fields, existing.Id, cancellationToken);
            var replaced = await ReplaceAsync(db, m, existing, contentType, blob, limits, cancellationToken);
            await DeleteFieldsAsync(db, existing.Kind, [existing.Id], cancellationToken);
            await InsertFieldsAsync(db, existing.Id, folderId, fields, cancellationToken);
            return new ItemWrite(ItemWriteOutcome.Replaced, replaced);
        }, cancellationToken);
    }

    /// <summary>The fields of an event, a task or a contact, read from its staged content; null for other kinds.</summary>
    async Task<object?> ExtractAsync(ItemKind kind, StagedBlob blob, CancellationToken cancellationToken)
    {
        if (kind is not (ItemKind.Event or ItemKind.Task or ItemKind.Contact))
            return null;
        if (blob.Length > Items.MaxStructuredSize)
            throw new ItemContentException($"an item of kind {kind} can have at most {Items.MaxStructuredSize} octets");
        string text;
        if (blob.Content is { } bytes)
        {
            text = System.Text.Encoding.UTF8.GetString(bytes);
        }
        else
        {
            await using var stream = writer.Blobs.Files.OpenStaged(blob);
            using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
            text = await reader.ReadToEndAsync(cancellationToken);
        }
        return kind == ItemKind.Contact ? ContactFields.Extract(text) : CalendarFields.Extract(text, kind);
    }

    /// <summary>CalDAV's no-uid-conflict and CardDAV's no-uid-conflict (RFC 4791 5.3.2.1, RFC 6352 6.3.2.1): one UID per folder.</summary>
    static async Task EnsureUidFreeAsync(DataConnection db, long folderId, object? fields, long? self, CancellationToken cancellationToken)
    {
        var (table, uid) = fields switch
        {
            CalendarFields c => ("calendar_items", c.Uid),
            ContactFields { Uid: { } u } => ("contact_items", u),
            _ => ("", null),
        };
        if (uid is null)
            return;
        var holders = await db.ReadAsync(
            $"SELECT i.id, i.resource_name FROM {table} x JOIN items i ON i.id = x.item_id WHERE x.folder_id = @folder AND x.uid_key = @uid",
            r => (Id: r.GetInt64(0), Name: r.IsDBNull(1) ? Items.GeneratedName(r.GetInt64(0)) : r.GetString(1)), cancellationToken,
            RawSql.P("folder", folderId), RawSql.P("uid", Items.UidKey(uid)));
        if (holders.FirstOrDefault(h => h.Id != self) is { Name: { } taken } )
            throw new ItemUidConflictException(uid, taken);
    }

    static Task InsertFieldsAsync(DataConnection db, long itemId, long folderId, object? fields, CancellationToken cancellationToken) => fields switch
    {
        CalendarFields c => db.RunAsync(
            "INSERT INTO calendar_items (item_id, folder_id, uid_key, starts_at, ends_at, recurs, floating, summary, status, class, transparency, due_at, completed_at) " +
            "VALUES (@id, @folder, @uid, @start, @end, @recurs, @floating, @summary, @status, @class, @transparency, @due, @completed)",
            cancellationToken,
            RawSql.P("id", itemId), RawSql.P("folder", folderId), RawSql.P("uid", Items.UidKey(c.Uid)),
            RawSql.P("start", c.Start?.ToUnixTimeMilliseconds()), RawSql.P("end", c.End?.ToUnixTimeMilliseconds()),
            new DataParameter("recurs", c.Recurs, LinqToDB.DataType.Boolean), new DataParameter("floating", c.Floating, LinqToDB.DataType.Boolean),
            RawSql.P("summary", RawSql.CleanOptional(c.Summary, 1000)), RawSql.P("status", c.Status), RawSql.P("class", c.Class), RawSql.P("transparency", c.Transparency),
            RawSql.P("due", c.Due?.ToUnixTimeMilliseconds()), RawSql.P("completed", c.Completed?.ToUnixTimeMilliseconds())),
        ContactFields c => db.RunAsync(
            "INSERT INTO contact_items (item_id, folder_id, uid_key, formatted_name, emails, phones, organization) " +
            "VALUES (@id, @folder, @uid, @name, @emails, @phones, @organization)",
            cancellationToken,
            RawSql.P("id", itemId), RawSql.P("folder", folderId), RawSql.P("uid", c.Uid is { } u ? Items.UidKey(u) : null),
            RawSql.P("name", RawSql.Clean(c.FormattedName, 1000)), RawSql.P("emails", RawSql.Clean(string.Join('\n', c.Emails), int.MaxValue)),
            RawSql.P("phones", RawSql.Clean(string.Join('\n', c.Phones), int.MaxValue)), RawSql.P("organization", RawSql.Clean(c.Organization, 1000))),
        _ => Task.CompletedTask,
    };

    /// <summary>Removes the extracted fields of items of <paramref name="kind"/> (nothing for mail and files, which keep none).</summary>
    internal static async Task DeleteFieldsAsync(DataConnection db, ItemKind kind, IReadOnlyCollection<long> itemIds, CancellationToken cancellationToken)
    {
        var table = FieldsTable(kind);
        if (table is null || itemIds.Count == 0)
            return;
        foreach (var chunk in itemIds.Chunk(500))
            await db.RunOnceAsync($"DELETE FROM {table} WHERE item_id IN ({RawSql.InlineList(chunk)})", cancellationToken);
    }

    internal static string? FieldsTable(ItemKind kind) => kind switch
    {
        ItemKind.Event or ItemKind.Task => "calendar_items",
        ItemKind.Contact => "contact_items",
        _ => null,
    };

    async Task<StoredItem> CreateAsync(DataConnection db, long storeId, long m, long folderId, string? resourceName, ItemKind kind, string? contentType,
        StagedBlob blob, QuotaLimits limits, CancellationToken cancellationToken)
    {
        await EnsureQuotaAsync(db, storeId, blob.Length, limits, cancellationToken);
        var (uid, _) = await TakeUidsAsync(db, Database.Engine, folderId, 1, m, blob.Length, cancellationToken);
        await writer.Blobs.AddReferencesAsync(db, blob, 1, cancellationToken);
        var id = await InsertAsync(db, Database.Engine, new NewItem(storeId, folderId, uid, m, blob.Id.Value, blob.Length, writer.Now)
        {
            Kind = kind, ContentType = contentType, ResourceName = resourceName,
        }, cancellationToken);
        var name = resourceName ?? Items.GeneratedName(id);
        await writer.LogAsync(db, storeId, m, ChangeEntity.Item, ChangeKind.Created, id, folderId, uid, cancellationToken,
            itemKind: kind, resourceName: resourceName);
        await AddStoreSizeAsync(db, storeId, blob.Length, cancellationToken);
        return new StoredItem(id, storeId, folderId, kind, name, contentType ?? Items.DefaultContentType(kind), uid, m, blob.Id.Value, blob.Length);
    }

    async Task<StoredItem> ReplaceAsync(DataConnection db, long m, StoredItem existing, string? contentType, StagedBlob blob, QuotaLimits limits,
        CancellationToken cancellationToken)
    {
        var storeId = existing.StoreId;
        var growth = blob.Length - existing.Size;
        await EnsureQuotaAsync(db, storeId, growth, limits, cancellationToken);
        var named = existing.ResourceName == Items.GeneratedName(existing.Id) ? null : existing.ResourceName;
        var uid = existing.Uid;
        if (existing.Kind == ItemKind.Mail)
        {
            // IMAP never changes a message under its UID: the new content is a new message to IMAP, the old one is expunged
            (uid, _) = await TakeUidsAsync(db, Database.Engine, existing.FolderId, 1, m, blob.Length, cancellationToken);
            await ReleaseFromFolderAsync(db, existing.FolderId, 1, existing.Size, m, cancellationToken);
        }
        else
        {
            await db.RunAsync("UPDATE folders SET size = size + @growth, modseq = @modseq WHERE id = @id", cancellationToken,
                RawSql.P("growth", growth), RawSql.P("modseq", m), RawSql.P("id", existing.FolderId));
        }
        // blob rows are locked in id order in every transaction, so two writers never wait on each other in a cycle
        var release = existing.BlobId;
        if (string.CompareOrdinal(release, blob.Id.Value) < 0)
        {
            await writer.ReleaseBlobsAsync(db, [release], cancellationToken);
            await writer.Blobs.AddReferencesAsync(db, blob, 1, cancellationToken);
        }
        else
        {
            await writer.Blobs.AddReferencesAsync(db, blob, 1, cancellationToken);
            await writer.ReleaseBlobsAsync(db, [release], cancellationToken);
        }
        await db.RunAsync("UPDATE items SET blob_id = @blob, size = @size, content_type = @type, uid = @uid, modseq = @modseq WHERE id = @id", cancellationToken,
            RawSql.P("blob", blob.Id.Value), RawSql.P("size", blob.Length), RawSql.P("type", contentType), RawSql.P("uid", uid), RawSql.P("modseq", m),
            RawSql.P("id", existing.Id));
        if (existing.Kind == ItemKind.Mail)
        {
            await writer.LogAsync(db, storeId, m, ChangeEntity.Item, ChangeKind.Deleted, existing.Id, existing.FolderId, existing.Uid, cancellationToken,
                itemKind: existing.Kind, resourceName: named);
            await writer.LogAsync(db, storeId, m, ChangeEntity.Item, ChangeKind.Created, existing.Id, existing.FolderId, uid, cancellationToken,
                itemKind: existing.Kind, resourceName: named);
        }
        else
        {
            await writer.LogAsync(db, storeId, m, ChangeEntity.Item, ChangeKind.Changed, existing.Id, existing.FolderId, uid, cancellationToken,
                itemKind: existing.Kind, resourceName: named);
        }
        await AddStoreSizeAsync(db, storeId, growth, cancellationToken);
        return existing with
        {
            ContentType = contentType ?? Items.DefaultContentType(existing.Kind), Uid = uid, ModSeq = m, BlobId = blob.Id.Value, Size = blob.Length,
        };
    }

    public async Task<ItemWrite> DeleteAsync(long folderId, string resourceName, WriteCondition condition, CancellationToken cancellationToken)
    {
        var storeId = await writer.StoreIdOfFolderAsync(folderId, cancellationToken);
        return await writer.WriteAsync([storeId], async (db, modseq) =>
        {
            var m = modseq[storeId];
            var existing = await FindAsync(db, folderId, resourceName, cancellationToken);
            if (!condition.Allows(existing?.ETag))
                return new ItemWrite(ItemWriteOutcome.PreconditionFailed, existing);
            if (existing is null)
            {
                await EnsureFolderExistsAsync(db, folderId, cancellationToken);
                return new ItemWrite(ItemWriteOutcome.NotFound, null);
            }
            await RemoveAsync(db, writer, storeId, m, folderId,
                [new Removed(existing.Id, existing.Uid, existing.Kind, existing.ResourceName == Items.GeneratedName(existing.Id) ? null : existing.ResourceName, existing.BlobId, existing.Size)],
                cancellationToken);
            return new ItemWrite(ItemWriteOutcome.Deleted, existing);
        }, cancellationToken);
    }

    /// <summary>A row of <c>items</c> to insert: every kind has the first columns; mail adds its flags, header fields and trace headers.</summary>
    internal sealed record NewItem(long StoreId, long FolderId, long Uid, long ModSeq, string BlobId, long Size, long ReceivedAt)
    {
        public ItemKind Kind { get; init; } = ItemKind.Mail;
        public string? ContentType { get; init; }
        public string? ResourceName { get; init; }
        public int Flags { get; init; }
        public string Keywords { get; init; } = "";
        public ItemFields Fields { get; init; } = new();
        public byte[]? TraceHeaders { get; init; }
    }

    /// <summary>Inserts an item of any kind (an APPEND, a delivery, a DAV PUT) and returns its id; the caller logs it and counts it.</summary>
    internal static Task<long> InsertAsync(DataConnection db, DatabaseEngine engine, NewItem item, CancellationToken cancellationToken)
    {
        var fields = item.Fields;
        return db.InsertReturningIdAsync(engine,
            "INSERT INTO items (store_id, folder_id, uid, modseq, blob_id, size, flags, keywords, received_at, sent_at, sent_offset, " +
            "subject, from_addr, to_addr, cc_addr, message_id, trace_headers, kind, content_type, resource_name, arrived_modseq) VALUES (@store, @folder, @uid, @modseq, " +
            "@blob, @size, @flags, @keywords, @received, @sent, @offset, @subject, @from, @to, @cc, @messageId, @trace, @kind, @type, @name, @modseq)",
            cancellationToken,
            RawSql.P("store", item.StoreId),
            RawSql.P("folder", item.FolderId),
            RawSql.P("uid", item.Uid),
            RawSql.P("modseq", item.ModSeq),
            RawSql.P("blob", item.BlobId),
            RawSql.P("size", item.Size),
            RawSql.P("flags", item.Flags),
            RawSql.P("keywords", item.Keywords),
            RawSql.P("received", item.ReceivedAt),
            RawSql.P("sent", fields.SentAt?.ToUnixTimeMilliseconds()),
            RawSql.P("offset", fields.SentAt is { } sentAt ? (int)sentAt.Offset.TotalMinutes : (int?)null),
            RawSql.P("subject", RawSql.Clean(fields.Subject, 10_000)),
            RawSql.P("from", RawSql.Clean(fields.From, 100_000)),
            RawSql.P("to", RawSql.Clean(fields.To, 100_000)),
            RawSql.P("cc", RawSql.Clean(fields.Cc, 100_000)),
            RawSql.P("messageId", RawSql.Clean(fields.MessageId, 998)),
            RawSql.P("trace", item.TraceHeaders),
            RawSql.P("kind", (int)item.Kind),
            RawSql.P("type", item.ContentType),
            RawSql.P("name", item.ResourceName));
    }

    /// <summary>An item leaving the store: what its removal must release and log.</summary>
    /// <param name="ResourceName">The name its tombstone carries; null for a generated one (mail).</param>
    internal sealed record Removed(long Id, long Uid, ItemKind Kind, string? ResourceName, string BlobId, long Size);

    /// <summary>
    /// Removes items of one folder inside the caller's write, whatever their kind and whoever asks (a DAV DELETE,
    /// an IMAP EXPUNGE): their rows and field rows, their blob references, a tombstone each, and their share of
    /// the folder's and the store's counts.
    /// </summary>
    internal static async Task RemoveAsync(DataConnection db, StoreWriter writer, long storeId, long m, long folderId, IReadOnlyList<Removed> victims,
        CancellationToken cancellationToken)
    {
        // with none, the folder's modseq still moves with the write, as an EXPUNGE of nothing always did
        if (victims.Count == 1)
            await db.RunAsync("DELETE FROM items WHERE id = @id", cancellationToken, RawSql.P("id", victims[0].Id));
        else
            foreach (var chunk in victims.Chunk(MailRows.Chunk))
                await db.RunOnceAsync($"DELETE FROM items WHERE id IN ({RawSql.InlineList(chunk.Select(v => v.Id))})", cancellationToken);
        foreach (var kind in victims.Where(v => v.Kind != ItemKind.Mail).GroupBy(v => v.Kind))
            await DeleteFieldsAsync(db, kind.Key, kind.Select(v => v.Id).ToList(), cancellationToken);
        await writer.ReleaseBlobsAsync(db, victims.Select(v => v.BlobId), cancellationToken);
        foreach (var victim in victims)
            await writer.LogAsync(db, storeId, m, ChangeEntity.Item, ChangeKind.Deleted, victim.Id, folderId, victim.Uid, cancellationToken,
                itemKind: victim.Kind, resourceName: victim.ResourceName);
        var total = victims.Sum(v => v.Size);
        await ReleaseFromFolderAsync(db, folderId, victims.Count, total, m, cancellationToken);
        await AddStoreSizeAsync(db, storeId, -total, cancellationToken);
    }

    static string CleanContentType(string contentType)
    {
        var cleaned = contentType.Trim();
        if (cleaned.Length == 0 || cleaned.Length > 255 || cleaned.Any(char.IsControl))
            throw new ArgumentException("a content type has 1 to 255 characters and no control characters");
        return cleaned;
    }
}
