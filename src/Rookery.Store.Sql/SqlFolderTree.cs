using System.Data.Common;
using LinqToDB;
using LinqToDB.Async;
using LinqToDB.Data;
using static Rookery.Store.Sql.StoreWriter;

namespace Rookery.Store.Sql;

/// <summary>
/// Stores and their folder trees on a relational database: a user's store with its default folders, folders
/// created, renamed, moved and deleted (with everything in them), each change through the shared
/// <see cref="StoreWriter"/> so it takes the store's modseq and leaves a change-log row.
/// </summary>
sealed class SqlFolderTree(StoreWriter writer)
{
    public async Task<StoreInfo> EnsureStoreAsync(StoreKind kind, string owner, string locale, CancellationToken cancellationToken = default)
    {
        if (await FindStoreRowAsync(kind, owner, cancellationToken) is { } existing)
        {
            if (kind != StoreKind.Private || existing.DefaultsVersion >= DefaultFolders.Version)
                return ToInfo(existing);
            await AddMissingDefaultFoldersAsync(existing.Id, cancellationToken);
            return await GetStoreAsync(existing.Id, cancellationToken);
        }
        try
        {
            await using var db = await writer.Database.OpenAsync(cancellationToken);
            await using var transaction = await db.BeginTransactionAsync(cancellationToken);
            var now = writer.Now;
            var uidValidity = now / 1000;
            var storeId = await db.InsertWithInt64IdentityAsync(new StoreRow
            {
                Kind = (int)kind, Owner = owner, Locale = locale, ModSeq = 1, CreatedAt = now, LastUidValidity = uidValidity + DefaultFolders.All.Count,
                DefaultsVersion = DefaultFolders.Version,
            }, token: cancellationToken);
            if (kind == StoreKind.Private)
            {
                foreach (var definition in DefaultFolders.All)
                {
                    await AddDefaultFolderAsync(db, storeId, definition, DefaultFolders.NameOf(definition.Use, locale), uidValidity++, 1, now, cancellationToken);
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

    public async Task<StoreInfo?> FindStoreAsync(StoreKind kind, string owner, CancellationToken cancellationToken = default) =>
        await FindStoreRowAsync(kind, owner, cancellationToken) is { } row ? ToInfo(row) : null;

    async Task<StoreRow?> FindStoreRowAsync(StoreKind kind, string owner, CancellationToken cancellationToken)
    {
        await using var db = await writer.Database.OpenAsync(cancellationToken);
        return await db.FirstOrDefaultAsync<StoreRow>("SELECT * FROM stores WHERE kind = @kind AND owner = @owner", cancellationToken,
            RawSql.P("kind", (int)kind), RawSql.P("owner", owner));
    }

    /// <summary>Creates one of the store's default folders at the top of its tree, and logs it.</summary>
    async Task<FolderRow> AddDefaultFolderAsync(DataConnection db, long storeId, DefaultFolders.Definition definition, string name, long uidValidity, long modseq,
        long now, CancellationToken cancellationToken)
    {
        var folder = new FolderRow
        {
            StoreId = storeId,
            ParentId = 0,
            Name = name,
            NameKey = NameKey(name),
            ContainerClass = (int)definition.ContainerClass,
            SpecialUse = (int)definition.Use,
            UidValidity = uidValidity,
            UidNext = 1,
            ModSeq = modseq,
            CreatedAt = now,
        };
        folder.Id = await db.InsertWithInt64IdentityAsync(folder, token: cancellationToken);
        await writer.LogAsync(db, storeId, modseq, ChangeEntity.Folder, ChangeKind.Created, folder.Id, folder.Id, null, cancellationToken);
        return folder;
    }

    /// <summary>
    /// Gives a store made with an older set of default folders the ones it lacks (Files, since version 2), named in
    /// its locale; a folder of that name at the top already gets a number after it.
    /// </summary>
    Task AddMissingDefaultFoldersAsync(long storeId, CancellationToken cancellationToken) =>
        writer.WriteAsync([storeId], async (db, modseq) =>
        {
            var store = await db.FirstOrDefaultAsync<StoreRow>("SELECT * FROM stores WHERE id = @id", cancellationToken, RawSql.P("id", storeId))
                ?? throw new StoreObjectNotFoundException($"store {storeId}");
            if (store.DefaultsVersion >= DefaultFolders.Version)
                return 0; // another session did it first
            var folders = await db.GetTable<FolderRow>().Where(f => f.StoreId == storeId).ToListAsync(cancellationToken);
            var now = writer.Now;
            foreach (var definition in DefaultFolders.All.Where(d => folders.All(f => f.SpecialUse != (int)d.Use)))
            {
                var name = DefaultFolders.NameOf(definition.Use, store.Locale);
                for (var n = 2; folders.Any(f => f.ParentId == 0 && f.NameKey == NameKey(name)); n++)
                    name = $"{DefaultFolders.NameOf(definition.Use, store.Locale)} ({n})";
                folders.Add(await AddDefaultFolderAsync(db, storeId, definition, name, await NextUidValidityAsync(db, storeId, now, cancellationToken),
                    modseq[storeId], now, cancellationToken));
            }
            return await db.RunAsync("UPDATE stores SET defaults_version = @version WHERE id = @id", cancellationToken,
                RawSql.P("version", DefaultFolders.Version), RawSql.P("id", storeId));
        }, cancellationToken);

    public async Task<StoreInfo> GetStoreAsync(long storeId, CancellationToken cancellationToken = default)
    {
        await using var db = await writer.Database.OpenAsync(cancellationToken);
        var row = await db.FirstOrDefaultAsync<StoreRow>("SELECT * FROM stores WHERE id = @id", cancellationToken, RawSql.P("id", storeId));
        return row is null ? throw new StoreObjectNotFoundException($"store {storeId}") : ToInfo(row);
    }

    public async Task<IReadOnlyList<StoreInfo>> ListStoresAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await writer.Database.OpenAsync(cancellationToken);
        var rows = await db.GetTable<StoreRow>().OrderBy(s => s.Id).ToListAsync(cancellationToken);
        return rows.ConvertAll(ToInfo);
    }

    public async Task<StoreInfo> ChangeStoreOwnerAsync(long storeId, string newOwner, CancellationToken cancellationToken = default)
    {
        var store = await GetStoreAsync(storeId, cancellationToken);
        if (await FindStoreAsync(store.Kind, newOwner, cancellationToken) is { } taken && taken.Id != storeId)
            throw new FolderOperationException($"{newOwner} already has a store (id {taken.Id})");
        await using var db = await writer.Database.OpenAsync(cancellationToken);
        try
        {
            await using var transaction = await db.BeginTransactionAsync(cancellationToken);
            await db.GetTable<StoreRow>().Where(s => s.Id == storeId).Set(s => s.Owner, newOwner).UpdateAsync(cancellationToken);
            if (store.Kind == StoreKind.Private && store.Owner != newOwner)
            {
                // The former owner is gone for good: what others granted them goes, as the original
                // drops a deleted user's ACL entries, so nobody who comes back under that key finds it.
                // Grants in this store to the new owner are moot now that they own it.
                var user = (int)GranteeKind.User;
                var former = store.Owner;
                await db.GetTable<FolderGrantRow>().DeleteAsync(g => g.GranteeKind == user && g.Grantee == former, cancellationToken);
                await db.GetTable<FolderGrantRow>().DeleteAsync(g => g.StoreId == storeId && g.GranteeKind == user && g.Grantee == newOwner, cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbException)
        {
            if (await FindStoreAsync(store.Kind, newOwner, cancellationToken) is { } raced && raced.Id != storeId)
                throw new FolderOperationException($"{newOwner} already has a store (id {raced.Id})");
            throw;
        }
        return await GetStoreAsync(storeId, cancellationToken);
    }

    public async Task<IReadOnlyList<FolderInfo>> ListFoldersAsync(long storeId, CancellationToken cancellationToken = default)
    {
        await using var db = await writer.Database.OpenAsync(cancellationToken);
        // IMAP reads the tree for every SELECT and APPEND: read by position, not mapped by name
        var rows = await db.ReadAsync(
            "SELECT id, store_id, parent_id, name, container_class, special_use, uid_validity, uid_next, modseq, message_count, size, recent_uid " +
            "FROM folders WHERE store_id = @store ORDER BY id",
            r => new FolderRow
            {
                Id = r.GetInt64(0), StoreId = r.GetInt64(1), ParentId = r.GetInt64(2), Name = r.GetString(3), ContainerClass = r.GetInt32(4),
                SpecialUse = r.GetInt32(5), UidValidity = r.GetInt64(6), UidNext = r.GetInt64(7), ModSeq = r.GetInt64(8), MessageCount = r.GetInt64(9),
                Size = r.GetInt64(10), RecentUid = r.GetInt64(11),
            },
            cancellationToken, RawSql.P("store", storeId));
        return rows.ConvertAll(ToInfo);
    }

    public async Task<FolderInfo> GetFolderAsync(long folderId, CancellationToken cancellationToken = default)
    {
        await using var db = await writer.Database.OpenAsync(cancellationToken);
        return ToInfo(await LoadFolderAsync(db, folderId, cancellationToken));
    }

    public async Task<FolderInfo> CreateFolderAsync(long storeId, long? parentId, string name, ContainerClass containerClass, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        return await writer.WriteAsync([storeId], async (db, modseq) =>
        {
            var parent = parentId ?? 0;
            if (parent != 0 && (await LoadFolderAsync(db, parent, cancellationToken)).StoreId != storeId)
                throw new FolderOperationException("the parent folder is in another store");
            await EnsureNameFreeAsync(db, storeId, parent, name, null, cancellationToken);
            var now = writer.Now;
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
            await writer.LogAsync(db, storeId, modseq[storeId], ChangeEntity.Folder, ChangeKind.Created, id, id, null, cancellationToken);
            if (parent != 0)
            {
                // a new folder starts with its parent's permissions, as in the original
                foreach (var grant in await db.GetTable<FolderGrantRow>().Where(g => g.FolderId == parent).ToListAsync(cancellationToken))
                    await db.InsertAsync(new FolderGrantRow { FolderId = id, GranteeKind = grant.GranteeKind, Grantee = grant.Grantee, StoreId = storeId, Rights = grant.Rights }, token: cancellationToken);
            }
            return ToInfo(await LoadFolderAsync(db, id, cancellationToken));
        }, cancellationToken);
    }

    /// <summary>Moves and/or renames a folder; with <paramref name="keepParent"/> it stays where it is (a rename).</summary>
    public async Task<FolderInfo> MoveFolderAsync(long folderId, long? newParentId, string? newName, bool keepParent, CancellationToken cancellationToken)
    {
        if (newName is not null)
            ValidateName(newName);
        var storeId = (await writer.StoreOfFolderAsync(folderId, cancellationToken)).Id;
        return await writer.WriteAsync([storeId], async (db, modseq) =>
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
            await writer.LogAsync(db, storeId, modseq[storeId], ChangeEntity.Folder, kind, folderId, folderId, null, cancellationToken, previousFolderId: folder.ParentId);
            return ToInfo(await LoadFolderAsync(db, folderId, cancellationToken));
        }, cancellationToken);
    }

    public async Task DeleteFolderAsync(long folderId, CancellationToken cancellationToken = default)
    {
        var storeId = (await writer.StoreOfFolderAsync(folderId, cancellationToken)).Id;
        await writer.WriteAsync([storeId], async (db, modseq) =>
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
                await db.RunAsync("DELETE FROM calendar_items WHERE folder_id = @folder", cancellationToken, RawSql.P("folder", victim.Id));
                await db.RunAsync("DELETE FROM contact_items WHERE folder_id = @folder", cancellationToken, RawSql.P("folder", victim.Id));
                await db.GetTable<FolderRow>().DeleteAsync(f => f.Id == victim.Id, cancellationToken);
                await db.GetTable<FolderGrantRow>().DeleteAsync(g => g.FolderId == victim.Id, cancellationToken);
                await db.RunAsync("DELETE FROM folder_keywords WHERE folder_id = @folder", cancellationToken, RawSql.P("folder", victim.Id));
                await writer.LogAsync(db, storeId, modseq[storeId], ChangeEntity.Folder, ChangeKind.Deleted, victim.Id, victim.Id, null, cancellationToken, previousFolderId: victim.ParentId);
            }
            await writer.ReleaseBlobsAsync(db, released, cancellationToken);
            await AddStoreSizeAsync(db, storeId, -freed, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    static async Task<long> NextUidValidityAsync(DataConnection db, long storeId, long now, CancellationToken cancellationToken)
    {
        var last = await db.GetTable<StoreRow>().Where(s => s.Id == storeId).Select(s => s.LastUidValidity).FirstAsync(cancellationToken);
        var next = Math.Max(now / 1000, last + 1);
        await db.GetTable<StoreRow>().Where(s => s.Id == storeId).Set(s => s.LastUidValidity, next).UpdateAsync(cancellationToken);
        return next;
    }

    static async Task<FolderRow> LoadFolderAsync(DataConnection db, long folderId, CancellationToken cancellationToken) =>
        await db.FirstOrDefaultAsync<FolderRow>("SELECT * FROM folders WHERE id = @id", cancellationToken, RawSql.P("id", folderId))
        ?? throw new StoreObjectNotFoundException($"folder {folderId}");

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

    static string NameKey(string name) => name.ToUpperInvariant().ToLowerInvariant();

    static StoreInfo ToInfo(StoreRow r) => r.ToInfo();

    /// <summary>The folder as the database has it (its \Recent claim included; the mail layer adds this process's).</summary>
    static FolderInfo ToInfo(FolderRow r) => new(r.Id, r.StoreId, r.ParentId == 0 ? null : r.ParentId, r.Name, (ContainerClass)r.ContainerClass,
        (SpecialUse)r.SpecialUse, r.UidValidity, r.UidNext, r.ModSeq, r.MessageCount, r.Size)
    {
        RecentUid = r.RecentUid,
    };
}
