// String.ToLower().Contains() below is translated to SQL LOWER(..) LIKE, not run in .NET.
#pragma warning disable CA1862
using System.Data.Common;
using LinqToDB;
using LinqToDB.Async;
using LinqToDB.Data;
using Rookery.Blobs;
using static Rookery.Store.Sql.MailRows;
using static Rookery.Store.Sql.StoreWriter;

namespace Rookery.Store.Sql;

/// <summary>
/// The store on a relational database. Every write runs in one transaction that first bumps
/// the store's modseq, which locks the store row: writers to one store are serialised, so
/// modseqs and UIDs are handed out in commit order and readers never see a gap close later.
/// </summary>
public sealed class SqlMailStore(Database database, BlobStorage blobs, IQuotaPolicy quota, IChangeNotifier notifier, TimeProvider? time = null) : IMailStore
{
    readonly TimeProvider clock = time ?? TimeProvider.System;
    readonly StoreWriter writer = new(database, blobs, notifier, time ?? TimeProvider.System);
    SqlFolderTree? folderTree;
    SqlFolderTree tree => folderTree ??= new SqlFolderTree(writer);
    SqlItems? items;
    SqlItems ItemStore => items ??= new SqlItems(writer, quota);
    SqlChangeLog? changes;
    SqlChangeLog changeLog => changes ??= new SqlChangeLog(writer);
    SqlMailState? mailState;
    SqlMailState state => mailState ??= new SqlMailState(writer, changeLog);

    public IChangeNotifier Notifier => notifier;

    /// <summary>
    /// SQLite: whether an acknowledged state change (flags, expunge) is not yet fsynced; it will be
    /// within <see cref="DatabaseSettings.StateSyncDelay"/>. Always false on the database servers.
    /// </summary>
    public bool HasUnsyncedStateChanges => writer.HasUnsynced;

    long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- stores and folders (SqlFolderTree); the mail layer adds \Recent ----

    public Task<StoreInfo> EnsureStoreAsync(StoreKind kind, string owner, string locale, CancellationToken cancellationToken = default) =>
        tree.EnsureStoreAsync(kind, owner, locale, cancellationToken);

    public Task<StoreInfo?> FindStoreAsync(StoreKind kind, string owner, CancellationToken cancellationToken = default) =>
        tree.FindStoreAsync(kind, owner, cancellationToken);

    public Task<StoreInfo> GetStoreAsync(long storeId, CancellationToken cancellationToken = default) => tree.GetStoreAsync(storeId, cancellationToken);

    public Task<IReadOnlyList<StoreInfo>> ListStoresAsync(CancellationToken cancellationToken = default) => tree.ListStoresAsync(cancellationToken);

    public Task<StoreInfo> ChangeStoreOwnerAsync(long storeId, string newOwner, CancellationToken cancellationToken = default) =>
        tree.ChangeStoreOwnerAsync(storeId, newOwner, cancellationToken);

    public async Task<IReadOnlyList<FolderInfo>> ListFoldersAsync(long storeId, CancellationToken cancellationToken = default) =>
        [.. (await tree.ListFoldersAsync(storeId, cancellationToken)).Select(state.WithRecent)];

    public async Task<FolderInfo> GetFolderAsync(long folderId, CancellationToken cancellationToken = default) =>
        state.WithRecent(await tree.GetFolderAsync(folderId, cancellationToken));

    public async Task<FolderInfo> CreateFolderAsync(long storeId, long? parentId, string name, ContainerClass containerClass, CancellationToken cancellationToken = default) =>
        state.WithRecent(await tree.CreateFolderAsync(storeId, parentId, name, containerClass, cancellationToken));

    public async Task<FolderInfo> RenameFolderAsync(long folderId, string newName, CancellationToken cancellationToken = default) =>
        state.WithRecent(await tree.MoveFolderAsync(folderId, null, newName, keepParent: true, cancellationToken));

    public async Task<FolderInfo> MoveFolderAsync(long folderId, long? newParentId, string? newName = null, CancellationToken cancellationToken = default) =>
        state.WithRecent(await tree.MoveFolderAsync(folderId, newParentId, newName, keepParent: false, cancellationToken));

    public Task DeleteFolderAsync(long folderId, CancellationToken cancellationToken = default) => tree.DeleteFolderAsync(folderId, cancellationToken);

    // ---- the mail layer's state: \Recent, subscriptions, flags and keywords (SqlMailState) ----

    public Task<long> ClaimRecentAsync(long folderId, FolderInfo? asRead = null, CancellationToken cancellationToken = default) =>
        state.ClaimRecentAsync(folderId, asRead, cancellationToken);

    public Task<IReadOnlyList<string>> ListSubscriptionsAsync(long storeId, CancellationToken cancellationToken = default) =>
        state.ListSubscriptionsAsync(storeId, cancellationToken);

    public Task SetSubscriptionAsync(long storeId, string name, bool subscribed, CancellationToken cancellationToken = default) =>
        state.SetSubscriptionAsync(storeId, name, subscribed, cancellationToken);

    public Task<IReadOnlyList<string>> ListKeywordsAsync(long folderId, CancellationToken cancellationToken = default) =>
        state.ListKeywordsAsync(folderId, cancellationToken);

    public Task<IReadOnlyList<ItemState>> ListItemStatesAsync(long folderId, long? changedSince = null, CancellationToken cancellationToken = default) =>
        state.ListItemStatesAsync(folderId, changedSince, cancellationToken);

    public Task<FlagResult> SetFlagsAsync(long folderId, IReadOnlyCollection<long> uids, FlagChange change, CancellationToken cancellationToken = default) =>
        state.SetFlagsAsync(folderId, uids, change, cancellationToken);

    // ---- items of every kind (IItemStore) ----

    public Task<StoredItem?> FindItemAsync(long folderId, string resourceName, CancellationToken cancellationToken = default) =>
        ItemStore.FindAsync(folderId, resourceName, cancellationToken);

    public Task<IReadOnlyList<StoredItem>> ListFolderItemsAsync(long folderId, CancellationToken cancellationToken = default) =>
        ItemStore.ListAsync(folderId, cancellationToken);

    public Task<IReadOnlyList<StoredItem>> FindByUidAsync(long folderId, string uid, CancellationToken cancellationToken = default) =>
        ItemStore.FindByUidAsync(folderId, uid, cancellationToken);

    public Task<IReadOnlyList<StoredItem>> ListInTimeRangeAsync(long folderId, DateTimeOffset from, DateTimeOffset to, TimeZoneInfo? floatingZone = null,
        CancellationToken cancellationToken = default) =>
        ItemStore.ListInTimeRangeAsync(folderId, from, to, floatingZone, cancellationToken);

    public Task<Stream> OpenItemContentAsync(StoredItem item, CancellationToken cancellationToken = default) =>
        ItemStore.OpenContentAsync(item, cancellationToken);

    public Task<ItemWrite> PutItemAsync(long folderId, string? resourceName, ItemContent content, WriteCondition condition, CancellationToken cancellationToken = default) =>
        ItemStore.PutAsync(folderId, resourceName, content, condition, cancellationToken);

    public Task<ItemWrite> DeleteItemAsync(long folderId, string resourceName, WriteCondition condition, CancellationToken cancellationToken = default) =>
        ItemStore.DeleteAsync(folderId, resourceName, condition, cancellationToken);

    public Task<FolderChanges> GetFolderChangesAsync(long folderId, long sinceModSeq, int limit = 10_000, CancellationToken cancellationToken = default) =>
        changeLog.GetFolderChangesAsync(folderId, sinceModSeq, limit, cancellationToken);

    /// <summary>
    /// Prunes the change log of every store of the rows written before <paramref name="before"/>
    /// (<c>changelog_retention</c>); a reader from a position older than what is left is told it expired.
    /// </summary>
    public Task<long> PruneChangesAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
        changeLog.PruneChangesAsync(before, cancellationToken);

    public Task<IReadOnlyList<Change>> GetChangesAsync(long storeId, long sinceModSeq, int limit = 10_000, long? committed = null, CancellationToken cancellationToken = default) =>
        changeLog.GetChangesAsync(storeId, sinceModSeq, limit, committed, cancellationToken);

    // ---- mail ----

    public Task<StagedBlob> StageAsync(Stream content, CancellationToken cancellationToken = default) => blobs.StageAsync(content, cancellationToken);

    public async Task<AppendResult> AppendAsync(long folderId, StagedBlob content, AppendRequest request, CancellationToken cancellationToken = default) =>
        (await AppendManyAsync(folderId, [(content, request)], cancellationToken))[0];

    public async Task<IReadOnlyList<AppendResult>> AppendManyAsync(long folderId, IReadOnlyList<(StagedBlob Content, AppendRequest Request)> messages, CancellationToken cancellationToken = default)
    {
        if (messages.Count == 0)
            return [];
        var owner = await writer.StoreOfFolderAsync(folderId, cancellationToken);
        var storeId = owner.Id;
        var limits = await quota.GetLimitsAsync(owner, cancellationToken);
        // Refuse what cannot fit before any content is placed (the transaction checks again, against
        // writers that commit meanwhile), so a refused message leaves nothing behind.
        CheckQuota(storeId, owner.Size, messages.Sum(x => x.Content.Length + x.Request.TraceHeaders.Length), limits);
        foreach (var (content, _) in messages)
            blobs.PlaceAhead(content);
        return await writer.WriteAsync([storeId], async (db, modseq) =>
        {
            var m = modseq[storeId];
            var sizes = messages.Select(x => x.Content.Length + x.Request.TraceHeaders.Length).ToList();
            var total = sizes.Sum();
            await EnsureQuotaAsync(db, storeId, total, limits, cancellationToken);
            var (firstUid, uidValidity) = await TakeUidsAsync(db, database.Engine, folderId, messages.Count, m, total, cancellationToken);
            // Blob rows are locked in id order in every transaction, so two writers never wait on each other in a cycle.
            foreach (var group in messages.GroupBy(x => x.Content.Id.Value, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                await blobs.AddReferencesAsync(db, group.First().Content, group.Count(), cancellationToken);
                if (group.Select(x => x.Request.Structure).FirstOrDefault(d => d is not null) is { } structure)
                    await state.InsertStructureAsync(db, group.Key, structure, replace: false, cancellationToken);
            }
            var results = new List<AppendResult>(messages.Count);
            for (var i = 0; i < messages.Count; i++)
            {
                var (content, request) = messages[i];
                var uid = firstUid + i;
                var id = await SqlItems.InsertAsync(db, database.Engine,
                    new SqlItems.NewItem(storeId, folderId, uid, m, content.Id.Value, sizes[i], (request.ReceivedAt ?? clock.GetUtcNow()).ToUnixTimeMilliseconds())
                    {
                        Flags = (int)request.Flags,
                        Keywords = JoinKeywords(request.Keywords),
                        Fields = request.Fields,
                        TraceHeaders = request.TraceHeaders.IsEmpty ? null : request.TraceHeaders.ToArray(),
                    }, cancellationToken);
                await writer.LogAsync(db, storeId, m, ChangeEntity.Item, ChangeKind.Created, id, folderId, uid, cancellationToken);
                results.Add(new AppendResult(id, uid, m, uidValidity));
            }
            if (messages.Any(x => x.Request.Keywords.Count > 0))
                await state.NoteFolderKeywordsAsync(db, storeId, m, folderId, messages.SelectMany(x => x.Request.Keywords), cancellationToken);
            await AddStoreSizeAsync(db, storeId, total, cancellationToken);
            return results;
        }, cancellationToken);
    }

    public async Task<ItemInfo?> GetItemAsync(long folderId, long uid, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var row = await db.FirstOrDefaultAsync<ItemRow>("SELECT * FROM items WHERE folder_id = @folder AND uid = @uid", cancellationToken,
            RawSql.P("folder", folderId), RawSql.P("uid", uid));
        return row is null ? null : ToInfo(row);
    }

    public async Task<IReadOnlyList<ItemInfo>> ListItemsAsync(long folderId, ItemQuery? query = null, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var withFields = query?.WithFields ?? true;
        var sql = new System.Text.StringBuilder(withFields ? ItemRowColumns : ItemRowColumnsWithoutFields).Append(" WHERE folder_id = @folder");
        var parameters = new List<DataParameter> { RawSql.P("folder", folderId) };
        if (query is not null)
            Filter(sql, parameters, query);
        sql.Append(" ORDER BY uid");
        if (query?.Limit is { } limit)
        {
            sql.Append(" LIMIT @limit");
            parameters.Add(RawSql.P("limit", (long)limit));
        }
        return withFields
            ? await db.ReadAsync(sql.ToString(), r => ToInfo(ReadItemRow(r)), cancellationToken, [.. parameters])
            : await db.ReadAsync(sql.ToString(), r => ToInfo(ReadItemRowWithoutFields(r)), cancellationToken, [.. parameters]);
    }

    public async Task<long> CountItemsAsync(long folderId, ItemQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var sql = new System.Text.StringBuilder("SELECT COUNT(*) FROM items WHERE folder_id = @folder");
        var parameters = new List<DataParameter> { RawSql.P("folder", folderId) };
        Filter(sql, parameters, query);
        return await db.ScalarAsync<long>(sql.ToString(), cancellationToken, [.. parameters]);
    }

    /// <summary>Appends the conditions of <paramref name="query"/> to a WHERE clause over items.</summary>
    static void Filter(System.Text.StringBuilder sql, List<DataParameter> parameters, ItemQuery query)
    {
        void Where(string condition, string name, object? value, LinqToDB.DataType type)
        {
            sql.Append(" AND ").Append(condition);
            parameters.Add(new DataParameter(name, value, type));
        }
        void Long(string condition, string name, long value) => Where(condition, name, value, LinqToDB.DataType.Int64);
        // case-insensitive substring, as the LINQ version's ToLower().Contains(): LIKE with '!' escaping its wildcards
        void Contains(string column, string name, string text) =>
            Where($"LOWER({column}) LIKE @{name} ESCAPE '!'", name, "%" + EscapeLike(text.ToLowerInvariant()) + "%", LinqToDB.DataType.NVarChar);

        if (query.UidFrom is { } from) Long("uid >= @uidFrom", "uidFrom", from);
        if (query.UidTo is { } to) Long("uid <= @uidTo", "uidTo", to);
        if (query.ChangedSince is { } since) Long("modseq > @since", "since", since);
        if (query.FlagsSet != MessageFlags.None) Long("(flags & @set) = @set", "set", (int)query.FlagsSet);
        if (query.FlagsClear != MessageFlags.None) Long("(flags & @clear) = 0", "clear", (int)query.FlagsClear);
        if (query.Keyword is { } keyword) Contains("keywords", "keyword", " " + keyword + " ");
        if (query.SubjectContains is { } subject) Contains("subject", "subject", subject);
        if (query.FromContains is { } fromText) Contains("from_addr", "fromText", fromText);
        if (query.ToContains is { } toText) Contains("to_addr", "toText", toText);
        if (query.CcContains is { } ccText) Contains("cc_addr", "ccText", ccText);
        if (query.MessageId is { } messageId) Where("message_id = @messageId", "messageId", messageId, LinqToDB.DataType.NVarChar);
        if (query.ReceivedBefore is { } rb) Long("received_at < @receivedBefore", "receivedBefore", rb.ToUnixTimeMilliseconds());
        if (query.ReceivedSince is { } rs) Long("received_at >= @receivedSince", "receivedSince", rs.ToUnixTimeMilliseconds());
        if (query.SentBefore is { } sb) Long("sent_at IS NOT NULL AND sent_at < @sentBefore", "sentBefore", sb.ToUnixTimeMilliseconds());
        if (query.SentSince is { } ss) Long("sent_at IS NOT NULL AND sent_at >= @sentSince", "sentSince", ss.ToUnixTimeMilliseconds());
        if (query.LargerThan is { } larger) Long("size > @larger", "larger", larger);
        if (query.SmallerThan is { } smaller) Long("size < @smaller", "smaller", smaller);
    }

    static string EscapeLike(string text) =>
        text.Replace("!", "!!", StringComparison.Ordinal).Replace("%", "!%", StringComparison.Ordinal).Replace("_", "!_", StringComparison.Ordinal);

    public async Task<Stream> OpenContentAsync(ItemInfo item, CancellationToken cancellationToken = default)
    {
        // the item's size is its trace headers' and its content's
        var content = await blobs.OpenReadAsync(item.BlobId, cancellationToken, item.Size - item.TraceHeaders.Length);
        return item.TraceHeaders.IsEmpty ? content : new PrefixedStream(item.TraceHeaders, content);
    }

    public Task<IReadOnlyDictionary<string, byte[]>> GetStructuresAsync(IReadOnlyCollection<ItemInfo> items, CancellationToken cancellationToken = default) =>
        state.GetStructuresAsync(items, cancellationToken);

    public Task SaveStructureAsync(ItemInfo item, byte[] structure, CancellationToken cancellationToken = default) =>
        state.SaveStructureAsync(item, structure, cancellationToken);

    public async Task<CopyResult> CopyItemsAsync(long sourceFolderId, IReadOnlyCollection<long> uids, long targetFolderId, CancellationToken cancellationToken = default)
    {
        var target = await writer.StoreOfFolderAsync(targetFolderId, cancellationToken);
        var targetStore = target.Id;
        await writer.StoreOfFolderAsync(sourceFolderId, cancellationToken);
        var limits = await quota.GetLimitsAsync(target, cancellationToken);
        return await writer.WriteAsync([targetStore], async (db, modseq) =>
        {
            var m = modseq[targetStore];
            var sources = await LoadItemsAsync(db, sourceFolderId, uids, cancellationToken);
            var total = sources.Sum(s => s.Size);
            await EnsureQuotaAsync(db, targetStore, total, limits, cancellationToken);
            var (firstUid, uidValidity) = await TakeUidsAsync(db, database.Engine, targetFolderId, sources.Count, m, total, cancellationToken);
            var mappings = new List<UidMapping>(sources.Count);
            var uid = firstUid;
            // Blob rows are locked in id order in every transaction, so two writers never wait on each other in a cycle.
            foreach (var group in sources.GroupBy(s => s.BlobId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
                await BlobStorage.IncrementExistingAsync(db, group.Key, group.Count(), cancellationToken);
            foreach (var source in sources)
            {
                var copy = Clone(source);
                copy.StoreId = targetStore;
                copy.FolderId = targetFolderId;
                copy.Uid = uid;
                copy.ModSeq = m;
                copy.ArrivedModSeq = m;
                copy.ResourceName = await FreeNameAsync(db, targetFolderId, source.ResourceName, cancellationToken);
                var id = await db.InsertWithInt64IdentityAsync(copy, token: cancellationToken);
                if (SqlItems.FieldsTable((ItemKind)source.Kind) is { } fields)
                    await CopyFieldsAsync(db, fields, source.Id, id, targetFolderId, cancellationToken);
                await writer.LogAsync(db, targetStore, m, ChangeEntity.Item, ChangeKind.Created, id, targetFolderId, uid, cancellationToken,
                    itemKind: (ItemKind)copy.Kind, resourceName: copy.ResourceName);
                mappings.Add(new UidMapping(source.Uid, uid));
                uid++;
            }
            await state.NoteFolderKeywordsAsync(db, targetStore, m, targetFolderId, sources.SelectMany(s => SplitKeywords(s.Keywords)), cancellationToken);
            await AddStoreSizeAsync(db, targetStore, total, cancellationToken);
            return new CopyResult(uidValidity, mappings);
        }, cancellationToken);
    }

    public async Task<CopyResult> MoveItemsAsync(long sourceFolderId, IReadOnlyCollection<long> uids, long targetFolderId, CancellationToken cancellationToken = default)
    {
        var sourceStore = (await writer.StoreOfFolderAsync(sourceFolderId, cancellationToken)).Id;
        var target = await writer.StoreOfFolderAsync(targetFolderId, cancellationToken);
        var targetStore = target.Id;
        var limits = sourceStore == targetStore ? QuotaLimits.None : await quota.GetLimitsAsync(target, cancellationToken);
        return await writer.WriteAsync([sourceStore, targetStore], async (db, modseq) =>
        {
            var m = modseq[targetStore];
            var sources = await LoadItemsAsync(db, sourceFolderId, uids, cancellationToken);
            var total = sources.Sum(s => s.Size);
            if (sourceStore != targetStore)
                await EnsureQuotaAsync(db, targetStore, total, limits, cancellationToken);
            var (firstUid, uidValidity) = await TakeUidsAsync(db, database.Engine, targetFolderId, sources.Count, m, total, cancellationToken);
            var mappings = new List<UidMapping>(sources.Count);
            var uid = firstUid;
            foreach (var source in sources)
            {
                var name = await FreeNameAsync(db, targetFolderId, source.ResourceName, cancellationToken);
                var moved = await db.GetTable<ItemRow>()
                    .Where(i => i.Id == source.Id && i.FolderId == sourceFolderId)
                    .Set(i => i.StoreId, targetStore)
                    .Set(i => i.FolderId, targetFolderId)
                    .Set(i => i.Uid, uid)
                    .Set(i => i.ModSeq, m)
                    .Set(i => i.ArrivedModSeq, m)
                    .Set(i => i.ResourceName, name)
                    .UpdateAsync(cancellationToken);
                if (moved != 1)
                    throw new InvalidOperationException($"item {source.Id} left folder {sourceFolderId} while it was being moved");
                if (SqlItems.FieldsTable((ItemKind)source.Kind) is { } fields)
                    await db.RunAsync($"UPDATE {fields} SET folder_id = @folder WHERE item_id = @id", cancellationToken,
                        RawSql.P("folder", targetFolderId), RawSql.P("id", source.Id));
                var kind = (ItemKind)source.Kind;
                if (sourceStore == targetStore)
                {
                    await writer.LogAsync(db, targetStore, m, ChangeEntity.Item, ChangeKind.Moved, source.Id, targetFolderId, uid, cancellationToken, sourceFolderId, source.Uid,
                        itemKind: kind, resourceName: name);
                }
                else
                {
                    await writer.LogAsync(db, sourceStore, modseq[sourceStore], ChangeEntity.Item, ChangeKind.Deleted, source.Id, sourceFolderId, source.Uid, cancellationToken,
                        itemKind: kind, resourceName: source.ResourceName);
                    await writer.LogAsync(db, targetStore, m, ChangeEntity.Item, ChangeKind.Created, source.Id, targetFolderId, uid, cancellationToken,
                        itemKind: kind, resourceName: name);
                }
                mappings.Add(new UidMapping(source.Uid, uid));
                uid++;
            }
            await state.NoteFolderKeywordsAsync(db, targetStore, m, targetFolderId, sources.SelectMany(s => SplitKeywords(s.Keywords)), cancellationToken);
            await ReleaseFromFolderAsync(db, sourceFolderId, sources.Count, total, modseq[sourceStore], cancellationToken);
            if (sourceStore != targetStore)
            {
                await AddStoreSizeAsync(db, sourceStore, -total, cancellationToken);
                await AddStoreSizeAsync(db, targetStore, total, cancellationToken);
            }
            return new CopyResult(uidValidity, mappings);
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<long>> ExpungeAsync(long folderId, IReadOnlyCollection<long> uids, CancellationToken cancellationToken = default)
    {
        var storeId = await writer.StoreIdOfFolderAsync(folderId, cancellationToken);
        return await writer.WriteAsync([storeId], async (db, modseq) =>
        {
            var m = modseq[storeId];
            var victims = await LoadItemsAsync(db, folderId, uids, cancellationToken, whole: false);
            if (victims.Count == 0)
                await EnsureFolderExistsAsync(db, folderId, cancellationToken);
            await SqlItems.RemoveAsync(db, writer, storeId, m, folderId,
                victims.ConvertAll(v => new SqlItems.Removed(v.Id, v.Uid, (ItemKind)v.Kind, v.ResourceName, v.BlobId, v.Size)), cancellationToken);
            return (IReadOnlyList<long>)victims.ConvertAll(v => v.Uid);
        }, cancellationToken, stateOnly: true);
    }

    /// <summary>
    /// The name a copied or moved item has in the target folder: its own, unless an item there has it already
    /// (then one generated from its id). Mail has none to keep.
    /// </summary>
    static async Task<string?> FreeNameAsync(DataConnection db, long folderId, string? name, CancellationToken cancellationToken) =>
        name is not null && await db.ScalarAsync<long?>("SELECT id FROM items WHERE folder_id = @folder AND resource_name = @name", cancellationToken,
            RawSql.P("folder", folderId), RawSql.P("name", name)) is null ? name : null;

    /// <summary>A copy gets the extracted fields of its original.</summary>
    static Task CopyFieldsAsync(DataConnection db, string table, long from, long to, long folderId, CancellationToken cancellationToken)
    {
        var columns = table == "calendar_items"
            ? "uid_key, starts_at, ends_at, recurs, floating, summary, status, class, transparency, due_at, completed_at"
            : "uid_key, formatted_name, emails, phones, organization";
        return db.RunAsync($"INSERT INTO {table} (item_id, folder_id, {columns}) SELECT @to, @folder, {columns} FROM {table} WHERE item_id = @from", cancellationToken,
            RawSql.P("to", to), RawSql.P("folder", folderId), RawSql.P("from", from));
    }
}
