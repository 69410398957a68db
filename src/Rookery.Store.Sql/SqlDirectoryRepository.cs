using LinqToDB;
using LinqToDB.Async;
using LinqToDB.Data;
using Rookery.Directory;

namespace Rookery.Store.Sql;

/// <summary>Users, groups and companies in Rookery's own tables.</summary>
public sealed class SqlDirectoryRepository(Database database, TimeProvider? time = null) : IDirectoryRepository
{
    readonly TimeProvider clock = time ?? TimeProvider.System;

    static string Key(string s) => s.Trim().ToLowerInvariant();

    public async Task<UserAccount> CreateUserAsync(string source, string login, string passwordHash, UserUpdate properties, CancellationToken cancellationToken = default)
    {
        ValidateLogin(login);
        await using var db = await database.OpenAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        var key = Key(login);
        if (await db.GetTable<UserRow>().AnyAsync(u => u.Source == source && u.LoginKey == key, cancellationToken))
            throw new DirectoryException($"user '{login}' already exists");
        var row = new UserRow
        {
            Login = login.Trim(),
            LoginKey = key,
            Source = source,
            PasswordHash = passwordHash,
            Active = true,
            CreatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        row.Id = await db.InsertWithInt64IdentityAsync(row, token: cancellationToken);
        await ApplyAsync(db, row, properties, null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await LoadAsync(db, row, cancellationToken));
    }

    public async Task<UserAccount> UpdateUserAsync(string source, string login, UserUpdate update, string? newPasswordHash, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        var row = await FindRowAsync(db, source, login, cancellationToken) ?? throw new DirectoryException($"user '{login}' does not exist");
        await ApplyAsync(db, row, update, newPasswordHash, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await LoadAsync(db, row, cancellationToken);
    }

    static async Task ApplyAsync(DataConnection db, UserRow row, UserUpdate update, string? newPasswordHash, CancellationToken cancellationToken)
    {
        if (newPasswordHash is not null) row.PasswordHash = newPasswordHash;
        if (update.Email is { } email)
        {
            email = email.Trim();
            if (email.Length > 0)
            {
                ValidateAddress(email);
                await EnsureAddressFreeAsync(db, email, row.Id, cancellationToken);
            }
            row.Email = email;
            row.EmailKey = Key(email);
        }
        if (update.FullName is { } fullName)
            row.FullName = fullName.Length <= 255 ? fullName : throw new DirectoryException("a full name can be at most 255 characters");
        if (update.IsAdmin is { } isAdmin) row.IsAdmin = isAdmin;
        if (update.Active is { } active) row.Active = active;
        if (update.Hidden is { } hidden) row.Hidden = hidden;
        if (update.QuotaOverride is { } quotaOverride) row.QuotaOverride = quotaOverride;
        if (update.QuotaWarn is { } warn) row.QuotaWarn = NonNegative(warn, "quota warn");
        if (update.QuotaSoft is { } soft) row.QuotaSoft = NonNegative(soft, "quota soft");
        if (update.QuotaHard is { } hard) row.QuotaHard = NonNegative(hard, "quota hard");
        if (update.Company is { } company)
            row.CompanyId = company.Length == 0 ? 0 : (await FindCompanyAsync(db, company, cancellationToken))?.Id ?? throw new DirectoryException($"company '{company}' does not exist");

        var enabled = Split(row.EnabledFeatures);
        var disabled = Split(row.DisabledFeatures);
        foreach (var f in update.EnableFeatures.Concat(update.DisableFeatures).Concat(update.ResetFeatures))
            if (!Features.IsKnown(f))
                throw new DirectoryException($"unknown feature '{f}' (known: {string.Join(' ', Features.All)})");
        foreach (var f in update.EnableFeatures) { enabled.Add(f.ToLowerInvariant()); disabled.Remove(f.ToLowerInvariant()); }
        foreach (var f in update.DisableFeatures) { disabled.Add(f.ToLowerInvariant()); enabled.Remove(f.ToLowerInvariant()); }
        foreach (var f in update.ResetFeatures) { enabled.Remove(f.ToLowerInvariant()); disabled.Remove(f.ToLowerInvariant()); }
        row.EnabledFeatures = string.Join(' ', enabled.Order());
        row.DisabledFeatures = string.Join(' ', disabled.Order());
        await db.UpdateAsync(row, token: cancellationToken);

        foreach (var alias in update.AddAliases)
        {
            var address = alias.Trim();
            ValidateAddress(address);
            await EnsureAddressFreeAsync(db, address, row.Id, cancellationToken);
            var key = Key(address);
            if (!await db.GetTable<AliasRow>().AnyAsync(a => a.AddressKey == key, cancellationToken))
                await db.InsertAsync(new AliasRow { AddressKey = key, Address = address, UserId = row.Id }, token: cancellationToken);
        }
        foreach (var alias in update.RemoveAliases)
        {
            var key = Key(alias);
            await db.GetTable<AliasRow>().DeleteAsync(a => a.AddressKey == key && a.UserId == row.Id, cancellationToken);
        }
        foreach (var login in update.AddSendAs)
        {
            var delegateRow = await FindRowAsync(db, row.Source, login, cancellationToken) ?? throw new DirectoryException($"user '{login}' does not exist");
            if (!await db.GetTable<SendAsRow>().AnyAsync(s => s.UserId == row.Id && s.DelegateId == delegateRow.Id, cancellationToken))
                await db.InsertAsync(new SendAsRow { UserId = row.Id, DelegateId = delegateRow.Id }, token: cancellationToken);
        }
        foreach (var login in update.RemoveSendAs)
        {
            if (await FindRowAsync(db, row.Source, login, cancellationToken) is { } delegateRow)
                await db.GetTable<SendAsRow>().DeleteAsync(s => s.UserId == row.Id && s.DelegateId == delegateRow.Id, cancellationToken);
        }
    }

    public async Task DeleteUserAsync(string source, string login, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        var row = await FindRowAsync(db, source, login, cancellationToken) ?? throw new DirectoryException($"user '{login}' does not exist");
        // Their grants go with them, as the original deletes a user's ACL entries: db:<id> is not
        // given again, so they would be clutter no listing can name, and if a key ever came back
        // (an engine that reuses ids) it must not bring them along.
        var grantee = Grantee.User(await LoadAsync(db, row, cancellationToken));
        await DeleteGrantsAsync(db, grantee, cancellationToken);
        await db.GetTable<AliasRow>().DeleteAsync(a => a.UserId == row.Id, cancellationToken);
        await db.GetTable<SendAsRow>().DeleteAsync(s => s.UserId == row.Id || s.DelegateId == row.Id, cancellationToken);
        await db.GetTable<GroupMemberRow>().DeleteAsync(m => m.UserId == row.Id, cancellationToken);
        await db.GetTable<UserRow>().DeleteAsync(u => u.Id == row.Id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<UserAccount?> FindUserAsync(string source, string login, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var row = await FindRowAsync(db, source, login, cancellationToken);
        return row is null ? null : await LoadAsync(db, row, cancellationToken);
    }

    public async Task<UserAccount?> FindUserByIdAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var row = await db.FirstOrDefaultAsync<UserRow>("SELECT * FROM users WHERE id = @id", cancellationToken, RawSql.P("id", id));
        return row is null ? null : await LoadAsync(db, row, cancellationToken);
    }

    public async Task<QuotaSettings?> FindQuotaByIdAsync(string source, long id, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var row = await db.FirstOrDefaultAsync<UserRow>(
            "SELECT quota_override, quota_warn, quota_soft, quota_hard FROM users WHERE id = @id AND source = @source", cancellationToken,
            RawSql.P("id", id), RawSql.P("source", source));
        return row is null ? null : new QuotaSettings(row.QuotaOverride, row.QuotaWarn, row.QuotaSoft, row.QuotaHard);
    }

    public async Task<string?> GetPasswordHashAsync(string source, string login, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        return (await FindRowAsync(db, source, login, cancellationToken))?.PasswordHash;
    }

    public async Task<UserAccount?> FindByAddressAsync(string source, string address, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var key = Key(address);
        var row = await db.FirstOrDefaultAsync<UserRow>("SELECT * FROM users WHERE source = @source AND email_key = @key", cancellationToken,
                      RawSql.P("source", source), RawSql.P("key", key))
                  ?? await db.FirstOrDefaultAsync<UserRow>(
                      "SELECT u.* FROM user_aliases a JOIN users u ON u.id = a.user_id WHERE a.address_key = @key AND u.source = @source", cancellationToken,
                      RawSql.P("key", key), RawSql.P("source", source));
        return row is null ? null : await LoadAsync(db, row, cancellationToken);
    }

    public async Task<IReadOnlyList<UserAccount>> ListUsersAsync(string source, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var rows = await db.GetTable<UserRow>().Where(u => u.Source == source).OrderBy(u => u.LoginKey).ToListAsync(cancellationToken);
        var result = new List<UserAccount>(rows.Count);
        foreach (var row in rows)
            result.Add(await LoadAsync(db, row, cancellationToken));
        return result;
    }

    public async Task<GroupInfo> CreateGroupAsync(string name, string email, string company, CancellationToken cancellationToken = default)
    {
        ValidateLogin(name);
        await using var db = await database.OpenAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        var companyId = company.Length == 0 ? 0 : (await FindCompanyAsync(db, company, cancellationToken))?.Id ?? throw new DirectoryException($"company '{company}' does not exist");
        var key = Key(name);
        if (await db.GetTable<GroupRow>().AnyAsync(g => g.NameKey == key, cancellationToken))
            throw new DirectoryException($"group '{name}' already exists");
        if (email.Length > 0)
            ValidateAddress(email);
        var row = new GroupRow { Name = name.Trim(), NameKey = key, CompanyId = companyId, Email = email.Trim(), CreatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds() };
        row.Id = await db.InsertWithInt64IdentityAsync(row, token: cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new GroupInfo(row.Id, row.Name, row.Email, company, []);
    }

    public async Task DeleteGroupAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        var group = await FindGroupAsync(db, name, cancellationToken);
        // Grants name a group by its name, which a new group may take: they must not outlive this one.
        await DeleteGrantsAsync(db, Grantee.Group(group.Name), cancellationToken);
        await db.GetTable<GroupMemberRow>().DeleteAsync(m => m.GroupId == group.Id, cancellationToken);
        await db.GetTable<GroupRow>().DeleteAsync(g => g.Id == group.Id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task AddGroupMemberAsync(string group, string source, string login, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var g = await FindGroupAsync(db, group, cancellationToken);
        var user = await FindRowAsync(db, source, login, cancellationToken) ?? throw new DirectoryException($"user '{login}' does not exist");
        if (!await db.GetTable<GroupMemberRow>().AnyAsync(m => m.GroupId == g.Id && m.UserId == user.Id, cancellationToken))
            await db.InsertAsync(new GroupMemberRow { GroupId = g.Id, UserId = user.Id }, token: cancellationToken);
    }

    public async Task RemoveGroupMemberAsync(string group, string source, string login, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var g = await FindGroupAsync(db, group, cancellationToken);
        var user = await FindRowAsync(db, source, login, cancellationToken) ?? throw new DirectoryException($"user '{login}' does not exist");
        if (await db.GetTable<GroupMemberRow>().DeleteAsync(m => m.GroupId == g.Id && m.UserId == user.Id, cancellationToken) == 0)
            throw new DirectoryException($"user '{login}' is not a member of group '{group}'");
    }

    public async Task<IReadOnlyList<GroupInfo>> ListGroupsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var groups = await db.GetTable<GroupRow>().OrderBy(g => g.NameKey).ToListAsync(cancellationToken);
        var members = await (from m in db.GetTable<GroupMemberRow>()
                             join u in db.GetTable<UserRow>() on m.UserId equals u.Id
                             select new { m.GroupId, u.Login }).ToListAsync(cancellationToken);
        var companies = await db.GetTable<CompanyRow>().ToDictionaryAsync(c => c.Id, c => c.Name, cancellationToken);
        return groups.ConvertAll(g => new GroupInfo(g.Id, g.Name, g.Email, companies.GetValueOrDefault(g.CompanyId, ""),
            members.Where(m => m.GroupId == g.Id).Select(m => m.Login).Order(StringComparer.OrdinalIgnoreCase).ToList()));
    }

    public async Task<CompanyInfo> CreateCompanyAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateLogin(name);
        await using var db = await database.OpenAsync(cancellationToken);
        if (await FindCompanyAsync(db, name, cancellationToken) is not null)
            throw new DirectoryException($"company '{name}' already exists");
        var row = new CompanyRow { Name = name.Trim(), NameKey = Key(name), CreatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds() };
        row.Id = await db.InsertWithInt64IdentityAsync(row, token: cancellationToken);
        return new CompanyInfo(row.Id, row.Name);
    }

    public async Task DeleteCompanyAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var company = await FindCompanyAsync(db, name, cancellationToken) ?? throw new DirectoryException($"company '{name}' does not exist");
        if (await db.GetTable<UserRow>().AnyAsync(u => u.CompanyId == company.Id, cancellationToken) ||
            await db.GetTable<GroupRow>().AnyAsync(g => g.CompanyId == company.Id, cancellationToken))
            throw new DirectoryException($"company '{name}' still has users or groups");
        await db.GetTable<CompanyRow>().DeleteAsync(c => c.Id == company.Id, cancellationToken);
    }

    public async Task<IReadOnlyList<CompanyInfo>> ListCompaniesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        var rows = await db.GetTable<CompanyRow>().OrderBy(c => c.NameKey).ToListAsync(cancellationToken);
        return rows.ConvertAll(c => new CompanyInfo(c.Id, c.Name));
    }

    static async Task<UserRow?> FindRowAsync(DataConnection db, string source, string login, CancellationToken cancellationToken)
    {
        var key = Key(login);
        return await db.FirstOrDefaultAsync<UserRow>("SELECT * FROM users WHERE source = @source AND login_key = @key", cancellationToken,
            RawSql.P("source", source), RawSql.P("key", key));
    }

    /// <summary>Removes every folder grant to <paramref name="grantee"/>, in every store.</summary>
    static Task<int> DeleteGrantsAsync(DataConnection db, Grantee grantee, CancellationToken cancellationToken)
    {
        var kind = (int)grantee.Kind;
        var key = grantee.Key;
        return db.GetTable<FolderGrantRow>().DeleteAsync(g => g.GranteeKind == kind && g.Grantee == key, cancellationToken);
    }

    static async Task<GroupRow> FindGroupAsync(DataConnection db, string name, CancellationToken cancellationToken)
    {
        var key = Key(name);
        return await db.GetTable<GroupRow>().FirstOrDefaultAsync(g => g.NameKey == key, cancellationToken)
            ?? throw new DirectoryException($"group '{name}' does not exist");
    }

    static async Task<CompanyRow?> FindCompanyAsync(DataConnection db, string name, CancellationToken cancellationToken)
    {
        var key = Key(name);
        return await db.GetTable<CompanyRow>().FirstOrDefaultAsync(c => c.NameKey == key, cancellationToken);
    }

    static async Task EnsureAddressFreeAsync(DataConnection db, string address, long userId, CancellationToken cancellationToken)
    {
        var key = Key(address);
        if (await db.GetTable<UserRow>().AnyAsync(u => u.Id != userId && u.EmailKey == key, cancellationToken) ||
            await db.GetTable<AliasRow>().AnyAsync(a => a.AddressKey == key && a.UserId != userId, cancellationToken))
            throw new DirectoryException($"address '{address}' already belongs to another user");
    }

    static async Task<UserAccount> LoadAsync(DataConnection db, UserRow row, CancellationToken cancellationToken)
    {
        var id = RawSql.P("user", row.Id);
        var aliases = await db.ListAsync<string>("SELECT address FROM user_aliases WHERE user_id = @user ORDER BY address_key", cancellationToken, id);
        var sendAs = await db.ListAsync<string>(
            "SELECT u.login FROM send_as s JOIN users u ON u.id = s.delegate_id WHERE s.user_id = @user ORDER BY u.login_key", cancellationToken, id);
        var groups = await db.ListAsync<string>(
            "SELECT g.name FROM group_members m JOIN usergroups g ON g.id = m.group_id WHERE m.user_id = @user ORDER BY g.name_key", cancellationToken, id);
        var company = row.CompanyId == 0
            ? ""
            : (await db.ListAsync<string>("SELECT name FROM companies WHERE id = @company", cancellationToken, RawSql.P("company", row.CompanyId))).FirstOrDefault() ?? "";
        return new UserAccount
        {
            Id = row.Id,
            Login = row.Login,
            Source = row.Source,
            Email = row.Email,
            FullName = row.FullName,
            IsAdmin = row.IsAdmin,
            Active = row.Active,
            Hidden = row.Hidden,
            Company = company,
            Aliases = aliases,
            QuotaOverride = row.QuotaOverride,
            QuotaWarn = row.QuotaWarn,
            QuotaSoft = row.QuotaSoft,
            QuotaHard = row.QuotaHard,
            EnabledFeatures = Split(row.EnabledFeatures).Order().ToList(),
            DisabledFeatures = Split(row.DisabledFeatures).Order().ToList(),
            SendAs = sendAs,
            Groups = groups,
        };
    }

    static HashSet<string> Split(string features) => new(features.Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.OrdinalIgnoreCase);

    static long NonNegative(long value, string what) => value >= 0 ? value : throw new DirectoryException($"{what} cannot be negative");

    static void ValidateLogin(string login)
    {
        var trimmed = login.Trim();
        if (trimmed.Length is 0 or > 255 || trimmed.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            throw new DirectoryException($"'{login}' is not a valid name: 1-255 characters without spaces or control characters");
    }

    static void ValidateAddress(string address)
    {
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1 || address.Length > 320 || address.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new DirectoryException($"'{address}' is not a valid e-mail address");
    }
}
