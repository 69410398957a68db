// String.ToLower().Contains() below is translated to SQL LOWER(..) LIKE, not run in .NET.
#pragma warning disable CA1862
using System.Data.Common;
using LinqToDB;
using LinqToDB.Async;
using LinqToDB.Data;
using Rookery.Blobs;

namespace Rookery.Store.Sql;

/// <summary>
/// The store on a relational database. Every write runs in one transaction that first bumps
/// the store's modseq, which locks the store row: writers to one store are serialised, so
/// modseqs and UIDs are handed out in commit order and readers never see a gap close later.
/// </summary>
public sealed class SqlMailStore(Database database, BlobStorage blobs, IQuotaPolicy quota, IChangeNotifier notifier, TimeProvider? time = null) : IMailStore
{
    const int Chunk = 500;
    readonly TimeProvider clock = time ?? TimeProvider.System;

    public IChangeNotifier Notifier => notifier;

    long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- stores ----

    public async Task<StoreInfo> EnsureStoreAsync(StoreKind kind, string owner, string locale, CancellationToken cancellationToken = default)
    {
        if (await FindStoreAsync(kind, owner, cancellationToken) is { } existing)
            return existing;
        try
        {
            await using var db = await database.OpenAsync(cancellationToken);
            await using var transaction = await db.BeginTransactionAsync(cancellationToken);
            var now = Now;
            var uidValidity = now / 1000;
            var storeId = await db.InsertWithInt64IdentityAsync(new StoreRow
            {
                Kind = (int)kind, Owner = owner, Locale = locale, ModSeq = 1, CreatedAt = now, LastUidValidity = uidValidity + DefaultFolders.All.Count,
            }, token: cancellationToken);
            if (kind == StoreKind.Private)
            {
                foreach (var definition in DefaultFolders.All)
                {
                    var name = DefaultFolders.NameOf(definition.Use, locale);
                    var folderId = await db.InsertWithInt64IdentityAsync(new FolderRow
                    {
                        StoreId = storeId,
                        ParentId = 0,
                        Name = name,
                        NameKey = NameKey(name),
                        ContainerClass = (int)definition.ContainerClass,
                        SpecialUse = (int)definition.Use,
                        UidValidity = uidValidity++,
                        UidNext = 1,
                        ModSeq = 1,
                        CreatedAt = now,
                    }, token: cancellationToken);
                    await LogAsync(db, storeId, 1, ChangeEntity.Folder, ChangeKind.Created, folderId, folderId, null, cancellationToken);
                }
            }
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbException)
        {
            // A concurrent first login may have created it; if not, this was a real failure.
            if (await FindStoreAsync(kind, owner, cancellationToken) is null)
                throw;
        }
        return await FindStoreAsync(kind, owner, cancellationToken)
            ?? throw new StoreObjectNotFoundException($"{kind} store of {owner}");
    }

    public async Task<StoreInfo?> FindStoreAsync(StoreKind kind, string owner, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var row = await db.GetTable<StoreRow>().FirstOrDefaultAsync(s => s.Kind == (int)kind && s.Owner == owner, cancellationToken);
        return row is null ? null : ToInfo(row);
    }

    public async Task<StoreInfo> GetStoreAsync(long storeId, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var row = await db.GetTable<StoreRow>().FirstOrDefaultAsync(s => s.Id == storeId, cancellationToken);
        return row is null ? throw new StoreObjectNotFoundException($"store {storeId}") : ToInfo(row);
    }

    public async Task<IReadOnlyList<StoreInfo>> ListStoresAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var rows = await db.GetTable<StoreRow>().OrderBy(s => s.Id).ToListAsync(cancellationToken);
        return rows.ConvertAll(ToInfo);
    }

    // ---- folders ----

    public async Task<IReadOnlyList<FolderInfo>> ListFoldersAsync(long storeId, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var rows = await db.GetTable<FolderRow>().Where(f => f.StoreId == storeId).OrderBy(f => f.Id).ToListAsync(cancellationToken);
        return rows.ConvertAll(ToInfo);
    }

    public async Task<FolderInfo> GetFolderAsync(long folderId, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        return ToInfo(await LoadFolderAsync(db, folderId, cancellationToken));
    }

    public async Task<FolderInfo> CreateFolderAsync(long storeId, long? parentId, string name, ContainerClass containerClass, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        return await WriteAsync([storeId], async (db, modseq) =>
        {
            var parent = parentId ?? 0;
            if (parent != 0 && (await LoadFolderAsync(db, parent, cancellationToken)).StoreId != storeId)
                throw new FolderOperationException("the parent folder is in another store");
            await EnsureNameFreeAsync(db, storeId, parent, name, null, cancellationToken);
            var now = Now;
            var uidValidity = await NextUidValidityAsync(db, storeId, now, cancellationToken);
            var id = await db.InsertWithInt64IdentityAsync(new FolderRow
            {
                StoreId = storeId,
                ParentId = parent,
                Name = name,
                NameKey = NameKey(name),
                ContainerClass = (int)containerClass,
                SpecialUse = (int)SpecialUse.None,
                UidValidity = uidValidity,
                UidNext = 1,
                ModSeq = modseq[storeId],
                CreatedAt = now,
            }, token: cancellationToken);
            await LogAsync(db, storeId, modseq[storeId], ChangeEntity.Folder, ChangeKind.Created, id, id, null, cancellationToken);
            if (parent != 0)
            {
                // a new folder starts with its parent's permissions, as in the original
                foreach (var grant in await db.GetTable<FolderGrantRow>().Where(g => g.FolderId == parent).ToListAsync(cancellationToken))
                    await db.InsertAsync(new FolderGrantRow { FolderId = id, GranteeKind = grant.GranteeKind, Grantee = grant.Grantee, StoreId = storeId, Rights = grant.Rights }, token: cancellationToken);
            }
            return ToInfo(await LoadFolderAsync(db, id, cancellationToken));
        }, cancellationToken);
    }

    public Task<FolderInfo> RenameFolderAsync(long folderId, string newName, CancellationToken cancellationToken = default) =>
        MoveFolderCoreAsync(folderId, null, newName, keepParent: true, cancellationToken);

    public Task<FolderInfo> MoveFolderAsync(long folderId, long? newParentId, string? newName = null, CancellationToken cancellationToken = default) =>
        MoveFolderCoreAsync(folderId, newParentId, newName, keepParent: false, cancellationToken);

    async Task<FolderInfo> MoveFolderCoreAsync(long folderId, long? newParentId, string? newName, bool keepParent, CancellationToken cancellationToken)
    {
        if (newName is not null)
            ValidateName(newName);
        var storeId = (await StoreOfFolderAsync(folderId, cancellationToken)).Id;
        return await WriteAsync([storeId], async (db, modseq) =>
        {
            var folder = await LoadFolderAsync(db, folderId, cancellationToken);
            var parent = keepParent ? folder.ParentId : newParentId ?? 0;
            var name = newName ?? folder.Name;
            if (parent != folder.ParentId)
            {
                if (folder.SpecialUse != (int)SpecialUse.None)
                    throw new FolderOperationException($"'{folder.Name}' is a default folder and cannot be moved");
                if (parent != 0)
                {
                    var target = await LoadFolderAsync(db, parent, cancellationToken);
                    if (target.StoreId != storeId)
                        throw new FolderOperationException("folders cannot be moved to another store");
                    if ((await DescendantsAsync(db, folder, cancellationToken)).Any(d => d.Id == parent))
                        throw new FolderOperationException("a folder cannot be moved into itself or one of its sub folders");
                }
            }
            await EnsureNameFreeAsync(db, storeId, parent, name, folderId, cancellationToken);
            await db.GetTable<FolderRow>()
                .Where(f => f.Id == folderId)
                .Set(f => f.ParentId, parent)
                .Set(f => f.Name, name)
                .Set(f => f.NameKey, NameKey(name))
                .Set(f => f.ModSeq, modseq[storeId])
                .UpdateAsync(cancellationToken);
            var kind = parent != folder.ParentId ? ChangeKind.Moved : ChangeKind.Changed;
            await LogAsync(db, storeId, modseq[storeId], ChangeEntity.Folder, kind, folderId, folderId, null, cancellationToken, previousFolderId: folder.ParentId);
            return ToInfo(await LoadFolderAsync(db, folderId, cancellationToken));
        }, cancellationToken);
    }

    public async Task DeleteFolderAsync(long folderId, CancellationToken cancellationToken = default)
    {
        var storeId = (await StoreOfFolderAsync(folderId, cancellationToken)).Id;
        await WriteAsync([storeId], async (db, modseq) =>
        {
            var folder = await LoadFolderAsync(db, folderId, cancellationToken);
            var doomed = await DescendantsAsync(db, folder, cancellationToken);
            if (doomed.FirstOrDefault(f => f.SpecialUse != (int)SpecialUse.None) is { } special)
                throw new FolderOperationException($"'{special.Name}' is a default folder and cannot be deleted");
            long freed = 0;
            var released = new List<string>();
            foreach (var victim in doomed)
            {
                var items = await db.GetTable<ItemRow>().Where(i => i.FolderId == victim.Id).Select(i => new { i.BlobId, i.Size }).ToListAsync(cancellationToken);
                released.AddRange(items.Select(i => i.BlobId));
                freed += items.Sum(i => i.Size);
                await db.GetTable<ItemRow>().DeleteAsync(i => i.FolderId == victim.Id, cancellationToken);
                await db.GetTable<FolderRow>().DeleteAsync(f => f.Id == victim.Id, cancellationToken);
                await db.GetTable<FolderGrantRow>().DeleteAsync(g => g.FolderId == victim.Id, cancellationToken);
                await LogAsync(db, storeId, modseq[storeId], ChangeEntity.Folder, ChangeKind.Deleted, victim.Id, victim.Id, null, cancellationToken, previousFolderId: victim.ParentId);
            }
            await ReleaseBlobsAsync(db, released, cancellationToken);
            await AddStoreSizeAsync(db, storeId, -freed, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    public async Task<long> ClaimRecentAsync(long folderId, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var folders = db.GetTable<FolderRow>();
        while (true)
        {
            var folder = await folders.Where(f => f.Id == folderId).Select(f => new { f.RecentUid, f.UidNext }).FirstOrDefaultAsync(cancellationToken)
                ?? throw new StoreObjectNotFoundException($"folder {folderId}");
            if (folder.RecentUid >= folder.UidNext)
                return folder.UidNext;
            // compare-and-set: of two sessions claiming at once, one gets the messages
            var claimed = await folders.Where(f => f.Id == folderId && f.RecentUid == folder.RecentUid)
                .Set(f => f.RecentUid, f => f.UidNext).UpdateAsync(cancellationToken);
            if (claimed == 1)
                return folder.RecentUid;
        }
    }

    // ---- subscriptions ----

    public async Task<IReadOnlyList<string>> ListSubscriptionsAsync(long storeId, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        return await db.GetTable<SubscriptionRow>().Where(s => s.StoreId == storeId).OrderBy(s => s.Name).Select(s => s.Name).ToListAsync(cancellationToken);
    }

    public async Task SetSubscriptionAsync(long storeId, string name, bool subscribed, CancellationToken cancellationToken = default)
    {
        if (name.Length > 700)
            throw new FolderOperationException("a mailbox name can be at most 700 characters");
        await using var db = await database.OpenAsync(cancellationToken);
        var table = db.GetTable<SubscriptionRow>();
        if (!subscribed)
        {
            await table.Where(s => s.StoreId == storeId && s.Name == name).DeleteAsync(cancellationToken);
            return;
        }
        if (await table.AnyAsync(s => s.StoreId == storeId && s.Name == name, cancellationToken))
            return;
        try
        {
            await db.InsertAsync(new SubscriptionRow { StoreId = storeId, Name = name }, token: cancellationToken);
        }
        catch (DbException)
        {
            // subscribed concurrently by another session: the outcome is the same; anything else is a real error
            if (!await table.AnyAsync(s => s.StoreId == storeId && s.Name == name, cancellationToken))
                throw;
        }
    }

    // ---- items ----

    public Task<StagedBlob> StageAsync(Stream content, CancellationToken cancellationToken = default) => blobs.StageAsync(content, cancellationToken);

    public async Task<AppendResult> AppendAsync(long folderId, StagedBlob content, AppendRequest request, CancellationToken cancellationToken = default) =>
        (await AppendManyAsync(folderId, [(content, request)], cancellationToken))[0];

    public async Task<IReadOnlyList<AppendResult>> AppendManyAsync(long folderId, IReadOnlyList<(StagedBlob Content, AppendRequest Request)> messages, CancellationToken cancellationToken = default)
    {
        if (messages.Count == 0)
            return [];
        var owner = await StoreOfFolderAsync(folderId, cancellationToken);
        var storeId = owner.Id;
        var limits = await quota.GetLimitsAsync(owner, cancellationToken);
        return await WriteAsync([storeId], async (db, modseq) =>
        {
            var m = modseq[storeId];
            var sizes = messages.Select(x => x.Content.Length + x.Request.TraceHeaders.Length).ToList();
            var total = sizes.Sum();
            await EnsureQuotaAsync(db, storeId, total, limits, cancellationToken);
            var (firstUid, uidValidity) = await TakeUidsAsync(db, folderId, messages.Count, m, total, cancellationToken);
            // Blob rows are locked in id order in every transaction, so two writers never wait on each other in a cycle.
            foreach (var group in messages.GroupBy(x => x.Content.Id.Value, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
                await blobs.AddReferencesAsync(db, group.First().Content, group.Count(), cancellationToken);
            var results = new List<AppendResult>(messages.Count);
            for (var i = 0; i < messages.Count; i++)
            {
                var (content, request) = messages[i];
                var uid = firstUid + i;
                var fields = request.Fields;
                var id = await db.InsertWithInt64IdentityAsync(new ItemRow
                {
                    StoreId = storeId,
                    FolderId = folderId,
                    Uid = uid,
                    ModSeq = m,
                    BlobId = content.Id.Value,
                    Size = sizes[i],
                    Flags = (int)request.Flags,
                    Keywords = JoinKeywords(request.Keywords),
                    ReceivedAt = (request.ReceivedAt ?? clock.GetUtcNow()).ToUnixTimeMilliseconds(),
                    SentAt = fields.SentAt?.ToUnixTimeMilliseconds(),
                    SentOffset = fields.SentAt is { } sentAt ? (int)sentAt.Offset.TotalMinutes : null,
                    Subject = Clean(fields.Subject, 10_000),
                    From = Clean(fields.From, 100_000),
                    To = Clean(fields.To, 100_000),
                    Cc = Clean(fields.Cc, 100_000),
                    MessageId = Clean(fields.MessageId, 998),
                    TraceHeaders = request.TraceHeaders.IsEmpty ? null : request.TraceHeaders.ToArray(),
                }, token: cancellationToken);
                await LogAsync(db, storeId, m, ChangeEntity.Item, ChangeKind.Created, id, folderId, uid, cancellationToken);
                results.Add(new AppendResult(id, uid, m, uidValidity));
            }
            await AddStoreSizeAsync(db, storeId, total, cancellationToken);
            return results;
        }, cancellationToken);
    }

    public async Task<ItemInfo?> GetItemAsync(long folderId, long uid, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var row = await db.GetTable<ItemRow>().FirstOrDefaultAsync(i => i.FolderId == folderId && i.Uid == uid, cancellationToken);
        return row is null ? null : ToInfo(row);
    }

    public async Task<IReadOnlyList<ItemInfo>> ListItemsAsync(long folderId, ItemQuery? query = null, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var q = db.GetTable<ItemRow>().Where(i => i.FolderId == folderId);
        if (query is not null)
            q = Filter(q, query);
        q = q.OrderBy(i => i.Uid);
        if (query?.Limit is { } limit)
            q = q.Take(limit);
        var rows = await q.ToListAsync(cancellationToken);
        return rows.ConvertAll(ToInfo);
    }

    static IQueryable<ItemRow> Filter(IQueryable<ItemRow> q, ItemQuery query)
    {
        if (query.UidFrom is { } from) q = q.Where(i => i.Uid >= from);
        if (query.UidTo is { } to) q = q.Where(i => i.Uid <= to);
        if (query.ChangedSince is { } since) q = q.Where(i => i.ModSeq > since);
        if (query.FlagsSet != MessageFlags.None)
        {
            var set = (int)query.FlagsSet;
            q = q.Where(i => (i.Flags & set) == set);
        }
        if (query.FlagsClear != MessageFlags.None)
        {
            var clear = (int)query.FlagsClear;
            q = q.Where(i => (i.Flags & clear) == 0);
        }
        if (query.Keyword is { } keyword)
        {
            var pattern = " " + keyword.ToLowerInvariant() + " ";
            q = q.Where(i => i.Keywords.ToLower().Contains(pattern));
        }
        if (query.SubjectContains is { } subject)
        {
            var s = subject.ToLowerInvariant();
            q = q.Where(i => i.Subject.ToLower().Contains(s));
        }
        if (query.FromContains is { } fromText)
        {
            var s = fromText.ToLowerInvariant();
            q = q.Where(i => i.From.ToLower().Contains(s));
        }
        if (query.ToContains is { } toText)
        {
            var s = toText.ToLowerInvariant();
            q = q.Where(i => i.To.ToLower().Contains(s));
        }
        if (query.MessageId is { } messageId) q = q.Where(i => i.MessageId == messageId);
        if (query.ReceivedBefore is { } rb) { var v = rb.ToUnixTimeMilliseconds(); q = q.Where(i => i.ReceivedAt < v); }
        if (query.ReceivedSince is { } rs) { var v = rs.ToUnixTimeMilliseconds(); q = q.Where(i => i.ReceivedAt >= v); }
        if (query.SentBefore is { } sb) { var v = sb.ToUnixTimeMilliseconds(); q = q.Where(i => i.SentAt != null && i.SentAt < v); }
        if (query.SentSince is { } ss) { var v = ss.ToUnixTimeMilliseconds(); q = q.Where(i => i.SentAt != null && i.SentAt >= v); }
        if (query.LargerThan is { } larger) q = q.Where(i => i.Size > larger);
        if (query.SmallerThan is { } smaller) q = q.Where(i => i.Size < smaller);
        return q;
    }

    public async Task<Stream> OpenContentAsync(ItemInfo item, CancellationToken cancellationToken = default)
    {
        var content = await blobs.OpenReadAsync(item.BlobId, cancellationToken);
        return item.TraceHeaders.IsEmpty ? content : new PrefixedStream(item.TraceHeaders, content);
    }

    public async Task<FlagResult> SetFlagsAsync(long folderId, IReadOnlyCollection<long> uids, FlagChange change, CancellationToken cancellationToken = default)
    {
        var storeId = (await StoreOfFolderAsync(folderId, cancellationToken)).Id;
        return await WriteAsync([storeId], async (db, modseq) =>
        {
            var m = modseq[storeId];
            var changed = new List<ItemInfo>();
            var failed = new List<long>();
            foreach (var chunk in uids.Distinct().Chunk(Chunk))
            {
                var rows = await db.GetTable<ItemRow>().Where(i => i.FolderId == folderId && chunk.Contains(i.Uid)).ToListAsync(cancellationToken);
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
                    if (newFlags == flags && newKeywords.SequenceEqual(keywords, StringComparer.OrdinalIgnoreCase))
                        continue;
                    row.Flags = (int)newFlags;
                    row.Keywords = JoinKeywords(newKeywords);
                    row.ModSeq = m;
                    await db.GetTable<ItemRow>()
                        .Where(i => i.Id == row.Id)
                        .Set(i => i.Flags, row.Flags)
                        .Set(i => i.Keywords, row.Keywords)
                        .Set(i => i.ModSeq, m)
                        .UpdateAsync(cancellationToken);
                    await LogAsync(db, storeId, m, ChangeEntity.Item, ChangeKind.Changed, row.Id, folderId, row.Uid, cancellationToken);
                    changed.Add(ToInfo(row));
                }
            }
            if (changed.Count > 0)
                await TouchFolderAsync(db, folderId, m, cancellationToken);
            return new FlagResult(changed, failed);
        }, cancellationToken);
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

    public async Task<CopyResult> CopyItemsAsync(long sourceFolderId, IReadOnlyCollection<long> uids, long targetFolderId, CancellationToken cancellationToken = default)
    {
        var target = await StoreOfFolderAsync(targetFolderId, cancellationToken);
        var targetStore = target.Id;
        await StoreOfFolderAsync(sourceFolderId, cancellationToken);
        var limits = await quota.GetLimitsAsync(target, cancellationToken);
        return await WriteAsync([targetStore], async (db, modseq) =>
        {
            var m = modseq[targetStore];
            var sources = await LoadItemsAsync(db, sourceFolderId, uids, cancellationToken);
            var total = sources.Sum(s => s.Size);
            await EnsureQuotaAsync(db, targetStore, total, limits, cancellationToken);
            var (firstUid, uidValidity) = await TakeUidsAsync(db, targetFolderId, sources.Count, m, total, cancellationToken);
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
                var id = await db.InsertWithInt64IdentityAsync(copy, token: cancellationToken);
                await LogAsync(db, targetStore, m, ChangeEntity.Item, ChangeKind.Created, id, targetFolderId, uid, cancellationToken);
                mappings.Add(new UidMapping(source.Uid, uid));
                uid++;
            }
            await AddStoreSizeAsync(db, targetStore, total, cancellationToken);
            return new CopyResult(uidValidity, mappings);
        }, cancellationToken);
    }

    public async Task<CopyResult> MoveItemsAsync(long sourceFolderId, IReadOnlyCollection<long> uids, long targetFolderId, CancellationToken cancellationToken = default)
    {
        var sourceStore = (await StoreOfFolderAsync(sourceFolderId, cancellationToken)).Id;
        var target = await StoreOfFolderAsync(targetFolderId, cancellationToken);
        var targetStore = target.Id;
        var limits = sourceStore == targetStore ? QuotaLimits.None : await quota.GetLimitsAsync(target, cancellationToken);
        return await WriteAsync([sourceStore, targetStore], async (db, modseq) =>
        {
            var m = modseq[targetStore];
            var sources = await LoadItemsAsync(db, sourceFolderId, uids, cancellationToken);
            var total = sources.Sum(s => s.Size);
            if (sourceStore != targetStore)
                await EnsureQuotaAsync(db, targetStore, total, limits, cancellationToken);
            var (firstUid, uidValidity) = await TakeUidsAsync(db, targetFolderId, sources.Count, m, total, cancellationToken);
            var mappings = new List<UidMapping>(sources.Count);
            var uid = firstUid;
            foreach (var source in sources)
            {
                var moved = await db.GetTable<ItemRow>()
                    .Where(i => i.Id == source.Id && i.FolderId == sourceFolderId)
                    .Set(i => i.StoreId, targetStore)
                    .Set(i => i.FolderId, targetFolderId)
                    .Set(i => i.Uid, uid)
                    .Set(i => i.ModSeq, m)
                    .UpdateAsync(cancellationToken);
                if (moved != 1)
                    throw new InvalidOperationException($"item {source.Id} left folder {sourceFolderId} while it was being moved");
                if (sourceStore == targetStore)
                {
                    await LogAsync(db, targetStore, m, ChangeEntity.Item, ChangeKind.Moved, source.Id, targetFolderId, uid, cancellationToken, sourceFolderId, source.Uid);
                }
                else
                {
                    await LogAsync(db, sourceStore, modseq[sourceStore], ChangeEntity.Item, ChangeKind.Deleted, source.Id, sourceFolderId, source.Uid, cancellationToken);
                    await LogAsync(db, targetStore, m, ChangeEntity.Item, ChangeKind.Created, source.Id, targetFolderId, uid, cancellationToken);
                }
                mappings.Add(new UidMapping(source.Uid, uid));
                uid++;
            }
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
        var storeId = (await StoreOfFolderAsync(folderId, cancellationToken)).Id;
        return await WriteAsync([storeId], async (db, modseq) =>
        {
            var m = modseq[storeId];
            var victims = await LoadItemsAsync(db, folderId, uids, cancellationToken);
            foreach (var chunk in victims.Chunk(Chunk))
            {
                var ids = chunk.Select(v => v.Id).ToArray();
                await db.GetTable<ItemRow>().DeleteAsync(i => ids.Contains(i.Id), cancellationToken);
            }
            await ReleaseBlobsAsync(db, victims.Select(v => v.BlobId), cancellationToken);
            foreach (var victim in victims)
                await LogAsync(db, storeId, m, ChangeEntity.Item, ChangeKind.Deleted, victim.Id, folderId, victim.Uid, cancellationToken);
            var total = victims.Sum(v => v.Size);
            await ReleaseFromFolderAsync(db, folderId, victims.Count, total, m, cancellationToken);
            await AddStoreSizeAsync(db, storeId, -total, cancellationToken);
            return (IReadOnlyList<long>)victims.ConvertAll(v => v.Uid);
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<Change>> GetChangesAsync(long storeId, long sinceModSeq, int limit = 10_000, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var rows = await db.GetTable<ChangeRow>()
            .Where(c => c.StoreId == storeId && c.ModSeq > sinceModSeq)
            .OrderBy(c => c.ModSeq).ThenBy(c => c.Id)
            .Take(limit)
            .ToListAsync(cancellationToken);
        return rows.ConvertAll(c => new Change(c.ModSeq, (ChangeEntity)c.Entity, (ChangeKind)c.Kind, c.ObjectId, c.FolderId, c.Uid,
            DateTimeOffset.FromUnixTimeMilliseconds(c.At)) { PreviousFolderId = c.PreviousFolderId, PreviousUid = c.PreviousUid });
    }

    // ---- the write path ----

    /// <summary>
    /// Runs <paramref name="body"/> in a transaction that has taken the next modseq of each
    /// store (locking their rows in id order, so two writers never deadlock), then commits
    /// and publishes the change.
    /// </summary>
    async Task<T> WriteAsync<T>(long[] storeIds, Func<DataConnection, IReadOnlyDictionary<long, long>, Task<T>> body, CancellationToken cancellationToken)
    {
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

    const int MaxAttempts = 5;

    async Task<T> WriteOnceAsync<T>(long[] storeIds, Func<DataConnection, IReadOnlyDictionary<long, long>, Task<T>> body, CancellationToken cancellationToken)
    {
        var ordered = storeIds.Distinct().Order().ToArray();
        var modseqs = new Dictionary<long, long>();
        T result;
        await using (var db = await database.OpenAsync(cancellationToken))
        {
            // READ COMMITTED: every read after the store-row locks sees what committed before them
            // (MySQL's REPEATABLE READ would read an older snapshot), and InnoDB takes no gap locks.
            await using var transaction = await db.BeginTransactionAsync(database.WriteIsolation, cancellationToken);
            foreach (var storeId in ordered)
            {
                var updated = await db.GetTable<StoreRow>().Where(s => s.Id == storeId).Set(s => s.ModSeq, s => s.ModSeq + 1).UpdateAsync(cancellationToken);
                if (updated == 0)
                    throw new StoreObjectNotFoundException($"store {storeId}");
                modseqs[storeId] = await db.GetTable<StoreRow>().Where(s => s.Id == storeId).Select(s => s.ModSeq).FirstAsync(cancellationToken);
            }
            result = await body(db, modseqs);
            await transaction.CommitAsync(cancellationToken);
        }
        foreach (var (storeId, modseq) in modseqs)
            notifier.Publish(new StoreChanged(storeId, modseq));
        return result;
    }

    static async Task<long> NextUidValidityAsync(DataConnection db, long storeId, long now, CancellationToken cancellationToken)
    {
        var last = await db.GetTable<StoreRow>().Where(s => s.Id == storeId).Select(s => s.LastUidValidity).FirstAsync(cancellationToken);
        var next = Math.Max(now / 1000, last + 1);
        await db.GetTable<StoreRow>().Where(s => s.Id == storeId).Set(s => s.LastUidValidity, next).UpdateAsync(cancellationToken);
        return next;
    }

    static async Task EnsureQuotaAsync(DataConnection db, long storeId, long growth, QuotaLimits limits, CancellationToken cancellationToken)
    {
        if (limits.Hard <= 0 || growth <= 0)
            return;
        var size = await db.GetTable<StoreRow>().Where(s => s.Id == storeId).Select(s => s.Size).FirstAsync(cancellationToken);
        if (size + growth > limits.Hard)
            throw new QuotaExceededException(storeId, size + growth, limits.Hard);
    }

    async Task ReleaseBlobsAsync(DataConnection db, IEnumerable<string> blobIds, CancellationToken cancellationToken)
    {
        foreach (var group in blobIds.GroupBy(id => id, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            await blobs.ReleaseAsync(db, group.Key, group.Count(), cancellationToken);
    }

    static async Task<(long FirstUid, long UidValidity)> TakeUidsAsync(DataConnection db, long folderId, int count, long modseq, long bytes, CancellationToken cancellationToken)
    {
        var updated = await db.GetTable<FolderRow>()
            .Where(f => f.Id == folderId)
            .Set(f => f.UidNext, f => f.UidNext + count)
            .Set(f => f.ModSeq, modseq)
            .Set(f => f.MessageCount, f => f.MessageCount + count)
            .Set(f => f.Size, f => f.Size + bytes)
            .UpdateAsync(cancellationToken);
        if (updated == 0)
            throw new StoreObjectNotFoundException($"folder {folderId}");
        var folder = await db.GetTable<FolderRow>().Where(f => f.Id == folderId).Select(f => new { f.UidNext, f.UidValidity }).FirstAsync(cancellationToken);
        return (folder.UidNext - count, folder.UidValidity);
    }

    static Task ReleaseFromFolderAsync(DataConnection db, long folderId, int count, long bytes, long modseq, CancellationToken cancellationToken) =>
        db.GetTable<FolderRow>()
            .Where(f => f.Id == folderId)
            .Set(f => f.MessageCount, f => f.MessageCount - count)
            .Set(f => f.Size, f => f.Size - bytes)
            .Set(f => f.ModSeq, modseq)
            .UpdateAsync(cancellationToken);

    static Task TouchFolderAsync(DataConnection db, long folderId, long modseq, CancellationToken cancellationToken) =>
        db.GetTable<FolderRow>().Where(f => f.Id == folderId).Set(f => f.ModSeq, modseq).UpdateAsync(cancellationToken);

    static Task AddStoreSizeAsync(DataConnection db, long storeId, long delta, CancellationToken cancellationToken) =>
        delta == 0 ? Task.CompletedTask : db.GetTable<StoreRow>().Where(s => s.Id == storeId).Set(s => s.Size, s => s.Size + delta).UpdateAsync(cancellationToken);

    Task LogAsync(DataConnection db, long storeId, long modseq, ChangeEntity entity, ChangeKind kind, long objectId, long folderId, long? uid,
        CancellationToken cancellationToken, long? previousFolderId = null, long? previousUid = null) =>
        db.InsertAsync(new ChangeRow
        {
            StoreId = storeId,
            ModSeq = modseq,
            Entity = (int)entity,
            Kind = (int)kind,
            ObjectId = objectId,
            FolderId = folderId,
            Uid = uid,
            PreviousFolderId = previousFolderId,
            PreviousUid = previousUid,
            At = Now,
        }, token: cancellationToken);

    static async Task<List<ItemRow>> LoadItemsAsync(DataConnection db, long folderId, IReadOnlyCollection<long> uids, CancellationToken cancellationToken)
    {
        var rows = new List<ItemRow>();
        foreach (var chunk in uids.Distinct().Chunk(Chunk))
            rows.AddRange(await db.GetTable<ItemRow>().Where(i => i.FolderId == folderId && chunk.Contains(i.Uid)).ToListAsync(cancellationToken));
        rows.Sort((a, b) => a.Uid.CompareTo(b.Uid));
        return rows;
    }

    static async Task<FolderRow> LoadFolderAsync(DataConnection db, long folderId, CancellationToken cancellationToken) =>
        await db.GetTable<FolderRow>().FirstOrDefaultAsync(f => f.Id == folderId, cancellationToken)
        ?? throw new StoreObjectNotFoundException($"folder {folderId}");

    /// <summary>The store a folder belongs to, in one query.</summary>
    async Task<StoreInfo> StoreOfFolderAsync(long folderId, CancellationToken cancellationToken)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var row = await (from f in db.GetTable<FolderRow>()
                         join st in db.GetTable<StoreRow>() on f.StoreId equals st.Id
                         where f.Id == folderId
                         select st).FirstOrDefaultAsync(cancellationToken);
        return row is null ? throw new StoreObjectNotFoundException($"folder {folderId}") : ToInfo(row);
    }

    /// <summary>The folder and everything below it, deepest first.</summary>
    static async Task<List<FolderRow>> DescendantsAsync(DataConnection db, FolderRow folder, CancellationToken cancellationToken)
    {
        var all = await db.GetTable<FolderRow>().Where(f => f.StoreId == folder.StoreId).ToListAsync(cancellationToken);
        var result = new List<FolderRow>();
        void Visit(FolderRow f)
        {
            foreach (var child in all.Where(c => c.ParentId == f.Id))
                Visit(child);
            result.Add(f);
        }
        Visit(folder);
        return result;
    }

    static async Task EnsureNameFreeAsync(DataConnection db, long storeId, long parentId, string name, long? except, CancellationToken cancellationToken)
    {
        var key = NameKey(name);
        if (await db.GetTable<FolderRow>().AnyAsync(f => f.StoreId == storeId && f.ParentId == parentId && f.NameKey == key && f.Id != except, cancellationToken))
            throw new FolderOperationException($"a folder named '{name}' already exists there");
    }

    static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new FolderOperationException("a folder name cannot be empty");
        if (name.Length > 255)
            throw new FolderOperationException("a folder name can be at most 255 characters");
        if (name.Any(char.IsControl))
            throw new FolderOperationException("a folder name cannot contain control characters");
        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
            throw new FolderOperationException("a folder name cannot start or end with a space");
    }

    /// <summary>
    /// Makes an extracted field storable on every engine: PostgreSQL refuses NUL in text, and a
    /// cut must not split a surrogate pair. The raw message keeps the original bytes.
    /// </summary>
    static string Clean(string value, int maxLength)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
            value = value.Replace("\0", "", StringComparison.Ordinal);
        if (value.Length <= maxLength)
            return value;
        var cut = maxLength;
        if (char.IsHighSurrogate(value[cut - 1]))
            cut--;
        return value[..cut];
    }

    static string NameKey(string name) => name.ToUpperInvariant().ToLowerInvariant();

    static string JoinKeywords(IEnumerable<string> keywords)
    {
        var list = keywords.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return list.Count == 0 ? "" : " " + string.Join(' ', list) + " ";
    }

    static List<string> SplitKeywords(string keywords) => [.. keywords.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    static ItemRow Clone(ItemRow r) => new()
    {
        StoreId = r.StoreId, FolderId = r.FolderId, Uid = r.Uid, ModSeq = r.ModSeq, BlobId = r.BlobId, Size = r.Size, Flags = r.Flags,
        Keywords = r.Keywords, ReceivedAt = r.ReceivedAt, SentAt = r.SentAt, Subject = r.Subject, From = r.From, To = r.To, Cc = r.Cc, MessageId = r.MessageId,
        TraceHeaders = r.TraceHeaders, SentOffset = r.SentOffset,
    };

    static StoreInfo ToInfo(StoreRow r) => new(r.Id, (StoreKind)r.Kind, r.Owner, r.Locale, r.ModSeq, r.Size);

    static FolderInfo ToInfo(FolderRow r) => new(r.Id, r.StoreId, r.ParentId == 0 ? null : r.ParentId, r.Name, (ContainerClass)r.ContainerClass,
        (SpecialUse)r.SpecialUse, r.UidValidity, r.UidNext, r.ModSeq, r.MessageCount, r.Size)
    {
        RecentUid = r.RecentUid,
    };

    static ItemInfo ToInfo(ItemRow r) => new(r.Id, r.FolderId, r.Uid, r.ModSeq, r.BlobId, r.Size, (MessageFlags)r.Flags, SplitKeywords(r.Keywords),
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
