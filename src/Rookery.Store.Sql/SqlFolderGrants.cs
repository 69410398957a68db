using System.Data.Common;
using System.Globalization;
using LinqToDB;
using LinqToDB.Async;
using LinqToDB.Data;

namespace Rookery.Store.Sql;

/// <summary>Folder grants in the folder_grants table. A folder's grants go with it when it is deleted (<see cref="SqlMailStore"/>).</summary>
public sealed class SqlFolderGrants(Database database) : IFolderGrants
{
    public async Task<IReadOnlyList<FolderGrant>> ListAsync(long folderId, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        return Sorted(await db.ListAsync<FolderGrantRow>("SELECT * FROM folder_grants WHERE folder_id = @id", cancellationToken, RawSql.P("id", folderId)));
    }

    public async Task<IReadOnlyList<FolderGrant>> ListForStoreAsync(long storeId, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        return Sorted(await db.ListAsync<FolderGrantRow>("SELECT * FROM folder_grants WHERE store_id = @id", cancellationToken, RawSql.P("id", storeId)));
    }

    public async Task<IReadOnlyList<long>> StoresGrantedToAsync(IReadOnlyCollection<Grantee> grantees, CancellationToken cancellationToken = default)
    {
        var parameters = new List<DataParameter>();
        var conditions = new List<string>();
        foreach (var kind in grantees.GroupBy(g => g.Kind))
        {
            var names = new List<string>();
            foreach (var key in kind.Select(g => g.Key).Distinct())
            {
                var name = "g" + parameters.Count.ToString(CultureInfo.InvariantCulture);
                parameters.Add(RawSql.P(name, key));
                names.Add("@" + name);
            }
            conditions.Add($"(grantee_kind = {((int)kind.Key).ToString(CultureInfo.InvariantCulture)} AND grantee IN ({string.Join(", ", names)}))");
        }
        if (conditions.Count == 0)
            return [];
        await using var db = await database.OpenAsync(cancellationToken);
        var ids = await db.ListAsync<long>($"SELECT DISTINCT store_id FROM folder_grants WHERE rights <> 0 AND ({string.Join(" OR ", conditions)}) ORDER BY store_id",
            cancellationToken, [.. parameters]);
        return ids;
    }

    public async Task SetAsync(long folderId, Grantee grantee, FolderRights rights, CancellationToken cancellationToken = default)
    {
        if (grantee.Key.Length > 255)
            throw new FolderOperationException("a grantee name can be at most 255 characters");
        await using var db = await database.OpenAsync(cancellationToken);
        var storeId = await db.GetTable<FolderRow>().Where(f => f.Id == folderId).Select(f => (long?)f.StoreId).FirstOrDefaultAsync(cancellationToken)
            ?? throw new StoreObjectNotFoundException($"folder {folderId}");
        var kind = (int)grantee.Kind;
        var table = db.GetTable<FolderGrantRow>();
        for (var attempt = 0; ; attempt++)
        {
            var updated = await table.Where(g => g.FolderId == folderId && g.GranteeKind == kind && g.Grantee == grantee.Key)
                .Set(g => g.Rights, (int)rights).UpdateAsync(cancellationToken);
            if (updated > 0)
                return;
            try
            {
                await db.InsertAsync(new FolderGrantRow { FolderId = folderId, GranteeKind = kind, Grantee = grantee.Key, StoreId = storeId, Rights = (int)rights }, token: cancellationToken);
                return;
            }
            catch (DbException) when (attempt == 0)
            {
                // inserted at the same moment by another session: update that row instead
            }
        }
    }

    public async Task<bool> RemoveAsync(long folderId, Grantee grantee, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var kind = (int)grantee.Kind;
        return await db.GetTable<FolderGrantRow>().Where(g => g.FolderId == folderId && g.GranteeKind == kind && g.Grantee == grantee.Key).DeleteAsync(cancellationToken) > 0;
    }

    static List<FolderGrant> Sorted(List<FolderGrantRow> rows) => rows
        .OrderBy(r => r.FolderId).ThenBy(r => r.GranteeKind).ThenBy(r => r.Grantee, StringComparer.Ordinal)
        .Select(r => new FolderGrant(r.StoreId, r.FolderId, new Grantee((GranteeKind)r.GranteeKind, r.Grantee), (FolderRights)r.Rights))
        .ToList();
}
