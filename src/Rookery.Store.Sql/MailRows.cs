using LinqToDB.Data;

namespace Rookery.Store.Sql;

/// <summary>How the mail layer reads items: the column lists, readers by position, keywords as stored, and <see cref="ItemInfo"/>.</summary>
static class MailRows
{
    /// <summary>The most UIDs one statement names.</summary>
    public const int Chunk = 500;

    /// <param name="whole">Read every column (a copy or a move takes the item whole); else only what a flag change or an expunge needs.</param>
    public static async Task<List<ItemRow>> LoadItemsAsync(DataConnection db, long folderId, IReadOnlyCollection<long> uids, CancellationToken cancellationToken, bool whole = true)
    {
        var (columns, read) = whole ? (ItemWriteColumns, (Func<System.Data.Common.DbDataReader, ItemRow>)ReadItemWriteRow) : (ItemStateColumns, ReadItemStateRow);
        if (uids.Count == 1)
            return await db.ReadAsync(columns + " WHERE folder_id = @folder AND uid = @uid", read, cancellationToken,
                RawSql.P("folder", folderId), RawSql.P("uid", uids.First()));
        var rows = new List<ItemRow>();
        foreach (var chunk in uids.Distinct().Chunk(Chunk))
            rows.AddRange(await db.ReadOnceAsync($"{columns} WHERE folder_id = @folder AND uid IN ({RawSql.InlineList(chunk)})", read, cancellationToken, RawSql.P("folder", folderId)));
        rows.Sort((a, b) => a.Uid.CompareTo(b.Uid));
        return rows;
    }

    /// <summary>
    /// What a flag change or an expunge reads of each item: its state, content reference and kind, none of the
    /// header fields (STORE and EXPUNGE are half of imaptest's writes, and read every item they touch).
    /// </summary>
    public const string ItemStateColumns = "SELECT id, store_id, folder_id, uid, modseq, blob_id, size, flags, keywords, received_at, kind, resource_name FROM items";

    public static ItemRow ReadItemStateRow(System.Data.Common.DbDataReader r) => new()
    {
        Id = r.GetInt64(0), StoreId = r.GetInt64(1), FolderId = r.GetInt64(2), Uid = r.GetInt64(3), ModSeq = r.GetInt64(4), BlobId = r.GetString(5),
        Size = r.GetInt64(6), Flags = r.GetInt32(7), Keywords = r.GetString(8), ReceivedAt = r.GetInt64(9),
        Kind = r.GetInt32(10), ResourceName = r.IsDBNull(11) ? null : r.GetString(11),
    };

    public const string ItemRowColumns =
        "SELECT id, store_id, folder_id, uid, modseq, blob_id, size, flags, keywords, received_at, sent_at, sent_offset, subject, from_addr, to_addr, cc_addr, message_id, trace_headers FROM items";

    /// <summary>
    /// <see cref="ItemRowColumns"/> and the item's kind, content type and resource name: what the writes that copy,
    /// move, expunge or change items read (FETCH and SEARCH, which only mail needs, go without them).
    /// </summary>
    public const string ItemWriteColumns =
        "SELECT id, store_id, folder_id, uid, modseq, blob_id, size, flags, keywords, received_at, sent_at, sent_offset, subject, from_addr, to_addr, cc_addr, message_id, trace_headers, " +
        "kind, content_type, resource_name FROM items";

    /// <summary>A row of <see cref="ItemRowColumns"/>, by position: IMAP reads runs of items for FETCH and SEARCH, and the writes that change one message read it.</summary>
    public static ItemRow ReadItemRow(System.Data.Common.DbDataReader r) => new()
    {
        Id = r.GetInt64(0), StoreId = r.GetInt64(1), FolderId = r.GetInt64(2), Uid = r.GetInt64(3), ModSeq = r.GetInt64(4), BlobId = r.GetString(5),
        Size = r.GetInt64(6), Flags = r.GetInt32(7), Keywords = r.GetString(8), ReceivedAt = r.GetInt64(9),
        SentAt = r.IsDBNull(10) ? null : r.GetInt64(10), SentOffset = r.IsDBNull(11) ? null : r.GetInt32(11),
        Subject = r.GetString(12), From = r.GetString(13), To = r.GetString(14), Cc = r.GetString(15), MessageId = r.GetString(16),
        TraceHeaders = r.IsDBNull(17) ? null : (byte[])r.GetValue(17),
    };

    /// <summary>A row of <see cref="ItemWriteColumns"/>.</summary>
    public static ItemRow ReadItemWriteRow(System.Data.Common.DbDataReader r)
    {
        var row = ReadItemRow(r);
        row.Kind = r.GetInt32(18);
        row.ContentType = r.IsDBNull(19) ? null : r.GetString(19);
        row.ResourceName = r.IsDBNull(20) ? null : r.GetString(20);
        return row;
    }

    /// <summary>The columns of <see cref="ItemRowColumns"/> up to <c>keywords, received_at</c>, then trace_headers: an item without its header fields.</summary>
    public const string ItemRowColumnsWithoutFields =
        "SELECT id, store_id, folder_id, uid, modseq, blob_id, size, flags, keywords, received_at, trace_headers FROM items";

    public static ItemRow ReadItemRowWithoutFields(System.Data.Common.DbDataReader r) => new()
    {
        Id = r.GetInt64(0), StoreId = r.GetInt64(1), FolderId = r.GetInt64(2), Uid = r.GetInt64(3), ModSeq = r.GetInt64(4), BlobId = r.GetString(5),
        Size = r.GetInt64(6), Flags = r.GetInt32(7), Keywords = r.GetString(8), ReceivedAt = r.GetInt64(9),
        TraceHeaders = r.IsDBNull(10) ? null : (byte[])r.GetValue(10),
    };

    public static string JoinKeywords(IEnumerable<string> keywords)
    {
        var list = keywords.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return list.Count == 0 ? "" : " " + string.Join(' ', list) + " ";
    }

    public static List<string> SplitKeywords(string keywords) => [.. keywords.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    public static ItemRow Clone(ItemRow r) => new()
    {
        StoreId = r.StoreId, FolderId = r.FolderId, Uid = r.Uid, ModSeq = r.ModSeq, BlobId = r.BlobId, Size = r.Size, Flags = r.Flags,
        Keywords = r.Keywords, ReceivedAt = r.ReceivedAt, SentAt = r.SentAt, Subject = r.Subject, From = r.From, To = r.To, Cc = r.Cc, MessageId = r.MessageId,
        TraceHeaders = r.TraceHeaders, SentOffset = r.SentOffset, Kind = r.Kind, ContentType = r.ContentType,
    };

    public static ItemInfo ToInfo(ItemRow r) => new(r.Id, r.FolderId, r.Uid, r.ModSeq, r.BlobId, r.Size, (MessageFlags)r.Flags, SplitKeywords(r.Keywords),
        DateTimeOffset.FromUnixTimeMilliseconds(r.ReceivedAt), new ItemFields
        {
            Subject = r.Subject,
            From = r.From,
            To = r.To,
            Cc = r.Cc,
            MessageId = r.MessageId,
            SentAt = r.SentAt is { } sent ? DateTimeOffset.FromUnixTimeMilliseconds(sent).ToOffset(TimeSpan.FromMinutes(r.SentOffset ?? 0)) : null,
        })
    {
        TraceHeaders = r.TraceHeaders,
    };
}
