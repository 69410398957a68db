using System.DirectoryServices.Protocols;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Rookery.Directory.Ldap;

/// <summary>
/// The LDAP directory read with one fixed ldap.cfg: its server pool and its caches. A reload makes
/// a new one (<see cref="LdapUserDirectory.Reconfigure"/>); calls already running finish on the old.
/// </summary>
sealed class LdapMapping : IDisposable
{
    const string Source = LdapUserDirectory.Source;

    readonly LdapSettings settings;
    readonly LdapServers servers;
    readonly ILogger? log;
    readonly ExpiringCache<UserAccount?> users;
    readonly ExpiringCache<IReadOnlyList<UserAccount>> userLists;
    readonly ExpiringCache<IReadOnlyList<GroupInfo>> groupLists;
    readonly ExpiringCache<IReadOnlyList<Company>> companyLists;
    readonly ExpiringCache<LoginEntry> logins;
    readonly ExpiringCache<bool> dynamicGroups;
    readonly ExpiringCache<AddressOwner?> addressOwners;

    /// <summary>A login's entry as a password check by bind needs it: the DN to bind as and the account it gives.</summary>
    sealed record LoginEntry(string Dn, UserAccount Account);

    sealed record Company(string Dn, string Name, long? DefaultWarn, long? DefaultSoft, long? DefaultHard);

    public LdapMapping(LdapSettings settings, TimeProvider time, ILogger? logger)
    {
        this.settings = settings;
        log = logger;
        servers = new LdapServers(settings.Connection, logger);
        users = new(settings.CacheLifetime, settings.CacheSize, time);
        userLists = new(settings.CacheLifetime, 4, time);
        groupLists = new(settings.CacheLifetime, 4, time);
        companyLists = new(settings.CacheLifetime, 4, time);
        logins = new(settings.CacheLifetime, settings.CacheSize, time);
        dynamicGroups = new(settings.CacheLifetime, 1, time);
        addressOwners = new(settings.CacheLifetime, settings.CacheSize, time);
    }

    public LdapSettings Settings => settings;

    public LdapOperationCounts Counts => servers.Counts;

    // ---- what LdapUserDirectory answers ----

    /// <remarks>
    /// With ldap_authentication_method = bind every check is a bind on the server; what is remembered
    /// for ldap_cache_timeout is the login's DN and account (groups included), so a repeated login is
    /// that one bind. A user removed from the directory fails the bind at once; one disabled there
    /// (nonactive, another filter match) logs in until the remembered entry expires. A failed bind on a
    /// remembered DN looks the login up again, in case the entry moved, and binds again only if its DN
    /// changed, so a wrong password costs the account one failed bind as before.
    /// </remarks>
    public async Task<AuthenticationResult> AuthenticateAsync(string login, string password, CancellationToken cancellationToken = default)
    {
        try
        {
            if (password.Length == 0)
                return AuthenticationResult.Failed("invalid login or password");
            if (settings.AuthenticateByBind)
                return await AuthenticateByBindAsync(login, password, cancellationToken);
            var entry = await FindEntryAsync(Equal(settings.LoginName, login), cancellationToken);
            if (entry is null || !Values(entry, settings.PasswordAttribute).Any(stored => PasswordAttribute.Verify(password, stored)))
                return AuthenticationResult.Failed("invalid login or password");
            if (users.TryGet("login:" + login, out var cached) && cached is not null)
                return Outcome(cached);
            var user = await ToAccountAsync(entry, null, cancellationToken);
            users.Set("login:" + login, user);
            return Outcome(user);
        }
        catch (DirectoryUnavailableException e)
        {
            log?.LogWarning("Login of {Login} not checked: {Problem}", login, e.Message);
            return new AuthenticationResult(AuthenticationOutcome.Unavailable, null, e.Message);
        }
    }

    async Task<AuthenticationResult> AuthenticateByBindAsync(string login, string password, CancellationToken cancellationToken)
    {
        string? failedDn = null;
        if (logins.TryGet(login, out var known))
        {
            if (await servers.CheckBindAsync(known.Dn, password, cancellationToken))
                return Outcome(known.Account);
            logins.Remove(login);
            failedDn = known.Dn;
        }
        var entry = await FindEntryAsync(Equal(settings.LoginName, login), cancellationToken);
        if (entry is null)
            return AuthenticationResult.Failed("invalid login or password");
        if (failedDn is not null && string.Equals(NormalizeDn(failedDn), NormalizeDn(entry.DistinguishedName), StringComparison.Ordinal))
            return AuthenticationResult.Failed("invalid login or password");
        if (!await servers.CheckBindAsync(entry.DistinguishedName, password, cancellationToken))
            return AuthenticationResult.Failed("invalid login or password");
        var user = await ToAccountAsync(entry, null, cancellationToken);
        logins.Set(login, new LoginEntry(entry.DistinguishedName, user));
        users.Set("login:" + login, user);
        return Outcome(user);
    }

    static AuthenticationResult Outcome(UserAccount? user) =>
        user is null ? AuthenticationResult.Failed("invalid login or password")
        : !user.Active ? AuthenticationResult.Failed("account is not active (shared store only)")
        : new AuthenticationResult(AuthenticationOutcome.Success, user);

    public Task<UserAccount?> FindUserAsync(string login, CancellationToken cancellationToken = default) =>
        users.GetOrAddAsync("login:" + login, async () =>
            await FindEntryAsync(Equal(settings.LoginName, login), cancellationToken) is { } entry ? await ToAccountAsync(entry, null, cancellationToken) : null);

    public Task<UserAccount?> FindByAddressAsync(string address, CancellationToken cancellationToken = default) =>
        users.GetOrAddAsync("address:" + address, async () =>
            await FindEntryAsync(AddressFilter(address), cancellationToken) is { } entry ? await ToAccountAsync(entry, null, cancellationToken) : null);

    /// <summary>The same entry as <see cref="FindByAddressAsync"/>, read without its groups, delegates and company: one search.</summary>
    public Task<AddressOwner?> FindAddressOwnerAsync(string address, CancellationToken cancellationToken = default)
    {
        if (users.TryGet("address:" + address, out var known))
            return Task.FromResult(known is null ? null : new AddressOwner(known.Login, known.Email));
        return addressOwners.GetOrAddAsync(address, async () =>
            await FindEntryAsync(AddressFilter(address), cancellationToken, [settings.LoginName, settings.Email]) is { } entry
                ? new AddressOwner(First(entry, settings.LoginName), First(entry, settings.Email))
                : null);
    }

    string AddressFilter(string address) =>
        settings.Aliases.Length > 0 ? Or(Equal(settings.Email, address), Equal(settings.Aliases, address)) : Equal(settings.Email, address);

    public Task<UserAccount?> FindByStoreOwnerAsync(string storeOwner, CancellationToken cancellationToken = default)
    {
        if (!storeOwner.StartsWith(Source + ":", StringComparison.Ordinal))
            return Task.FromResult<UserAccount?>(null);
        var unique = storeOwner[(Source.Length + 1)..];
        return users.GetOrAddAsync("owner:" + unique, async () =>
            await FindEntryAsync(UniqueFilter(settings.UserUnique, unique, settings.UserUniqueBinary), cancellationToken) is { } entry
                ? await ToAccountAsync(entry, null, cancellationToken) : null);
    }

    public Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken cancellationToken = default) =>
        userLists.GetOrAddAsync("users", async () =>
        {
            var entries = await SearchAsync(settings.SearchBase, UserFilter(), UserAttributes(), cancellationToken);
            var groups = await ListGroupsAsync(cancellationToken);
            var result = new List<UserAccount>(entries.Count);
            foreach (var entry in entries)
            {
                var login = First(entry, settings.LoginName);
                if (login.Length == 0)
                    continue;
                result.Add(await ToAccountAsync(entry, groups.Where(g => g.Members.Contains(login, StringComparer.OrdinalIgnoreCase)).Select(g => g.Name).ToList(), cancellationToken));
            }
            return (IReadOnlyList<UserAccount>)result.OrderBy(u => u.Login, StringComparer.Ordinal).ToList();
        });

    public Task<IReadOnlyList<GroupInfo>> ListGroupsAsync(CancellationToken cancellationToken = default) =>
        groupLists.GetOrAddAsync("groups", async () =>
        {
            var userEntries = await SearchAsync(settings.SearchBase, UserFilter(), [settings.LoginName, settings.UserUnique, RelationAttribute()], cancellationToken);
            var loginByDn = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var loginByRelation = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in userEntries)
            {
                var login = First(entry, settings.LoginName);
                if (login.Length == 0)
                    continue;
                loginByDn[NormalizeDn(entry.DistinguishedName)] = login;
                foreach (var value in Values(entry, RelationAttribute()))
                    loginByRelation.TryAdd(value, login);
            }
            var companies = await CompaniesAsync(cancellationToken);
            var result = new List<GroupInfo>();
            var groupAttributes = new[] { settings.GroupName, settings.GroupUnique, settings.GroupMembers, settings.GroupSecurity, settings.Email, settings.Aliases, settings.Hidden };
            foreach (var entry in await SearchAsync(settings.SearchBase, And(TypeFilter(settings.GroupType), settings.GroupFilter), groupAttributes, cancellationToken))
            {
                var members = Values(entry, settings.GroupMembers)
                    .Select(v => settings.GroupMembersAreDns ? loginByDn.GetValueOrDefault(NormalizeDn(v)) : loginByRelation.GetValueOrDefault(v))
                    .OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                result.Add(new GroupInfo(NumericId(entry, settings.GroupUnique), First(entry, settings.GroupName), First(entry, settings.Email), CompanyOf(entry.DistinguishedName, companies), members)
                {
                    Security = IsSecurityGroup(entry),
                    Hidden = Flag(entry, settings.Hidden),
                    Aliases = Values(entry, settings.Aliases),
                });
            }
            // Dynamic groups: their members are the users their filter selects.
            foreach (var entry in await SearchAsync(settings.SearchBase, And(TypeFilter(settings.DynamicGroupType), settings.DynamicGroupFilter),
                         [settings.DynamicGroupName, settings.DynamicGroupFilterAttribute, settings.DynamicGroupBaseAttribute, settings.Email, settings.Aliases, settings.Hidden], cancellationToken))
            {
                var members = await FilteredLoginsAsync(entry, settings.DynamicGroupFilterAttribute, settings.DynamicGroupBaseAttribute, cancellationToken);
                result.Add(new GroupInfo(0, First(entry, settings.DynamicGroupName), First(entry, settings.Email), CompanyOf(entry.DistinguishedName, companies), members)
                {
                    Security = false,
                    Hidden = Flag(entry, settings.Hidden),
                    Aliases = Values(entry, settings.Aliases),
                });
            }
            return (IReadOnlyList<GroupInfo>)result.OrderBy(g => g.Name, StringComparer.Ordinal).ToList();
        });

    async Task<GroupInfo?> FindGroupByAddressCoreAsync(string address, CancellationToken cancellationToken) =>
        (await ListGroupsAsync(cancellationToken)).FirstOrDefault(g =>
            (g.Email.Length > 0 && string.Equals(g.Email, address, StringComparison.OrdinalIgnoreCase)) || g.Aliases.Contains(address, StringComparer.OrdinalIgnoreCase));

    public Task<GroupInfo?> FindGroupByAddressAsync(string address, CancellationToken cancellationToken = default) => FindGroupByAddressCoreAsync(address, cancellationToken);

    // ---- what only LDAP has ----

    /// <summary>The companies (tenants), with enable_hosted_kopano; empty without.</summary>
    public async Task<IReadOnlyList<CompanyInfo>> ListCompaniesAsync(CancellationToken cancellationToken = default) =>
        (await CompaniesAsync(cancellationToken)).Select((c, i) => new CompanyInfo(i + 1, c.Name)).ToList();

    public async Task<IReadOnlyList<AddressListInfo>> ListAddressListsAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<AddressListInfo>();
        foreach (var entry in await SearchAsync(settings.SearchBase, And(TypeFilter(settings.AddressListType), settings.AddressListFilter),
                     [settings.AddressListName, settings.AddressListFilterAttribute, settings.AddressListBaseAttribute, settings.Hidden], cancellationToken))
            result.Add(new AddressListInfo(First(entry, settings.AddressListName),
                await FilteredLoginsAsync(entry, settings.AddressListFilterAttribute, settings.AddressListBaseAttribute, cancellationToken), Flag(entry, settings.Hidden)));
        return result.OrderBy(a => a.Name, StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyList<ContactInfo>> ListContactsAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<ContactInfo>();
        foreach (var entry in await SearchAsync(settings.SearchBase, And(TypeFilter(settings.ContactType), settings.UserFilter),
                     [settings.FullName, settings.Email, settings.Aliases, settings.Hidden], cancellationToken))
            result.Add(new ContactInfo(First(entry, settings.FullName), First(entry, settings.Email), Values(entry, settings.Aliases), Flag(entry, settings.Hidden)));
        return result.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The values of <paramref name="attribute"/> on the entry of <paramref name="user"/> (found by its
    /// login), read fresh: what only a plugin gives meaning to, such as movetopublicldap's public folder.
    /// </summary>
    public async Task<IReadOnlyList<string>> ReadUserAttributeAsync(UserAccount user, string attribute, CancellationToken cancellationToken = default)
    {
        if (attribute.Length == 0)
            return [];
        var found = await SearchAsync(settings.SearchBase, And(UserFilter(), Equal(settings.LoginName, user.Login)), [attribute], cancellationToken, sizeLimit: 1);
        return found.Count > 0 ? Values(found[0], attribute) : [];
    }

    /// <summary>Forgets every remembered lookup (a reload).</summary>
    public void ClearCache()
    {
        users.Clear();
        userLists.Clear();
        groupLists.Clear();
        companyLists.Clear();
        logins.Clear();
        dynamicGroups.Clear();
        addressOwners.Clear();
    }

    public void Dispose() => servers.Dispose();

    // ---- entries to accounts ----

    async Task<UserAccount> ToAccountAsync(SearchResultEntry entry, IReadOnlyList<string>? groups, CancellationToken cancellationToken)
    {
        var login = First(entry, settings.LoginName);
        var companies = await CompaniesAsync(cancellationToken);
        var company = CompanyEntryOf(entry.DistinguishedName, companies);
        groups ??= await GroupsOfAsync(entry, cancellationToken);
        var properties = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, attribute) in settings.PropMap)
            if (Values(entry, attribute) is { Count: > 0 } values)
                properties[name] = values;

        var account = new UserAccount
        {
            Id = NumericId(entry, settings.UserUnique),
            UniqueId = UniqueValue(entry, settings.UserUnique, settings.UserUniqueBinary),
            Login = login,
            Source = Source,
            Email = First(entry, settings.Email),
            FullName = First(entry, settings.FullName),
            IsAdmin = Flag(entry, settings.IsAdmin),
            Active = !Flag(entry, settings.NonActive),
            Hidden = Flag(entry, settings.Hidden),
            Company = company?.Name ?? "",
            Aliases = Values(entry, settings.Aliases),
            EnabledFeatures = properties.GetValueOrDefault(LdapSettings.EnabledFeaturesProperty) ?? [],
            DisabledFeatures = properties.GetValueOrDefault(LdapSettings.DisabledFeaturesProperty) ?? [],
            SendAs = await SendAsLoginsAsync(entry, cancellationToken),
            Groups = groups,
            Properties = properties,
        };
        if (Flag(entry, settings.QuotaOverride))
            return account with { QuotaOverride = true, QuotaWarn = Mebibytes(entry, settings.QuotaWarn), QuotaSoft = Mebibytes(entry, settings.QuotaSoft), QuotaHard = Mebibytes(entry, settings.QuotaHard) };
        if (company is { DefaultWarn: not null } or { DefaultSoft: not null } or { DefaultHard: not null })
            return account with { QuotaOverride = true, QuotaWarn = company.DefaultWarn ?? 0, QuotaSoft = company.DefaultSoft ?? 0, QuotaHard = company.DefaultHard ?? 0 };
        return account;
    }

    async Task<IReadOnlyList<string>> GroupsOfAsync(SearchResultEntry user, CancellationToken cancellationToken)
    {
        var memberValues = settings.GroupMembersAreDns ? [user.DistinguishedName] : Values(user, RelationAttribute());
        if (memberValues.Count == 0)
            return [];
        var filter = And(TypeFilter(settings.GroupType), settings.GroupFilter, Or(memberValues.Select(v => Equal(settings.GroupMembers, v)).ToArray()));
        var names = (await SearchAsync(settings.SearchBase, filter, [settings.GroupName], cancellationToken)).Select(g => First(g, settings.GroupName)).ToList();
        if (await HasDynamicGroupsAsync(cancellationToken))
        {
            var login = First(user, settings.LoginName);
            names.AddRange((await ListGroupsAsync(cancellationToken)).Where(g => !g.Security && g.Members.Contains(login) && !names.Contains(g.Name)).Select(g => g.Name));
        }
        return names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    Task<bool> HasDynamicGroupsAsync(CancellationToken cancellationToken) =>
        dynamicGroups.GetOrAddAsync("dynamic", async () => (await SearchAsync(settings.SearchBase, And(TypeFilter(settings.DynamicGroupType), settings.DynamicGroupFilter), ["1.1"], cancellationToken, sizeLimit: 1)).Count > 0);

    async Task<IReadOnlyList<string>> SendAsLoginsAsync(SearchResultEntry entry, CancellationToken cancellationToken)
    {
        var values = Values(entry, settings.SendAs);
        if (values.Count == 0)
            return [];
        var logins = new List<string>();
        foreach (var value in values)
        {
            SearchResultEntry? delegateEntry;
            if (settings.SendAsIsDn)
                delegateEntry = await SearchAsync(value, UserFilter(), [settings.LoginName], cancellationToken, SearchScope.Base) is [var found, ..] ? found : null;
            else
            {
                var relation = settings.SendAsRelation.Length > 0 ? settings.SendAsRelation : settings.UserUnique;
                delegateEntry = await FindEntryAsync(Equal(relation, value), cancellationToken);
            }
            if (delegateEntry is not null && First(delegateEntry, settings.LoginName) is { Length: > 0 } login)
                logins.Add(login);
        }
        return logins;
    }

    async Task<IReadOnlyList<string>> FilteredLoginsAsync(SearchResultEntry entry, string filterAttribute, string baseAttribute, CancellationToken cancellationToken)
    {
        var filter = First(entry, filterAttribute);
        if (filter.Length == 0)
            return [];
        var searchBase = First(entry, baseAttribute) is { Length: > 0 } b ? b : settings.SearchBase;
        return (await SearchAsync(searchBase, And(UserFilter(), filter), [settings.LoginName], cancellationToken))
            .Select(e => First(e, settings.LoginName)).Where(l => l.Length > 0).Order(StringComparer.Ordinal).ToList();
    }

    Task<IReadOnlyList<Company>> CompaniesAsync(CancellationToken cancellationToken)
    {
        if (!settings.Hosted)
            return Task.FromResult<IReadOnlyList<Company>>([]);
        return companyLists.GetOrAddAsync("companies", async () =>
            (IReadOnlyList<Company>)(await SearchAsync(settings.SearchBase, And(TypeFilter(settings.CompanyType), settings.CompanyFilter),
                    [settings.CompanyName, settings.DefaultQuotaOverride, settings.DefaultQuotaWarn, settings.DefaultQuotaSoft, settings.DefaultQuotaHard], cancellationToken))
                .Select(e => Flag(e, settings.DefaultQuotaOverride)
                    ? new Company(NormalizeDn(e.DistinguishedName), First(e, settings.CompanyName), Mebibytes(e, settings.DefaultQuotaWarn), Mebibytes(e, settings.DefaultQuotaSoft), Mebibytes(e, settings.DefaultQuotaHard))
                    : new Company(NormalizeDn(e.DistinguishedName), First(e, settings.CompanyName), null, null, null))
                .ToList());
    }

    static Company? CompanyEntryOf(string dn, IReadOnlyList<Company> companies)
    {
        var normalized = NormalizeDn(dn);
        return companies.Where(c => normalized.EndsWith("," + c.Dn, StringComparison.Ordinal)).MaxBy(c => c.Dn.Length);
    }

    static string CompanyOf(string dn, IReadOnlyList<Company> companies) => CompanyEntryOf(dn, companies)?.Name ?? "";

    bool IsSecurityGroup(SearchResultEntry entry)
    {
        var value = First(entry, settings.GroupSecurity);
        if (settings.GroupSecurityIsAds)
            return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var groupType) && (groupType & 0x80000000) != 0;
        return value.Length == 0 || IsTrue(value);
    }

    string RelationAttribute() => settings.GroupMembersRelation.Length > 0 ? settings.GroupMembersRelation : settings.UserUnique;

    string[] UserAttributes()
    {
        var names = new List<string>
        {
            settings.LoginName, settings.UserUnique, settings.Email, settings.FullName, settings.Aliases, settings.IsAdmin, settings.NonActive,
            settings.Hidden, settings.SendAs, settings.QuotaOverride, settings.QuotaWarn, settings.QuotaSoft, settings.QuotaHard,
            settings.ResourceType, RelationAttribute(),
        };
        if (!settings.AuthenticateByBind)
            names.Add(settings.PasswordAttribute);
        names.AddRange(settings.PropMap.Values);
        return names.Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    long Mebibytes(SearchResultEntry entry, string attribute) =>
        long.TryParse(First(entry, attribute), NumberStyles.None, CultureInfo.InvariantCulture, out var units) ? units * settings.QuotaMultiplier / (1024 * 1024) : 0;

    // ---- searching ----

    string UserFilter() => And(TypeFilter(settings.UserType), settings.UserFilter);

    string TypeFilter(string value) => Equal(settings.TypeAttribute, value);

    async Task<SearchResultEntry?> FindEntryAsync(string condition, CancellationToken cancellationToken, string[]? attributes = null)
    {
        var found = await SearchAsync(settings.SearchBase, And(UserFilter(), condition), attributes ?? UserAttributes(), cancellationToken, sizeLimit: 2);
        if (found.Count > 1)
            log?.LogWarning("LDAP: {Filter} matches more than one user; using {Dn}", condition, found[0].DistinguishedName);
        return found.Count > 0 ? found[0] : null;
    }

    Task<IReadOnlyList<SearchResultEntry>> SearchAsync(string searchBase, string filter, string[] attributes, CancellationToken cancellationToken,
        SearchScope scope = SearchScope.Subtree, int sizeLimit = 0) =>
        servers.RunAsync<IReadOnlyList<SearchResultEntry>>(connection =>
        {
            var results = new List<SearchResultEntry>();
            var request = new SearchRequest(searchBase, filter, scope, attributes) { SizeLimit = sizeLimit };
            var paging = settings.PageSize > 0 && sizeLimit == 0 ? new PageResultRequestControl(settings.PageSize) : null;
            if (paging is not null)
                request.Controls.Add(paging);
            while (true)
            {
                SearchResponse response;
                try
                {
                    response = (SearchResponse)connection.SendRequest(request);
                }
                catch (DirectoryOperationException e) when (e.Response?.ResultCode == ResultCode.NoSuchObject)
                {
                    return results; // the base does not exist (yet): nothing there
                }
                catch (DirectoryOperationException e) when (e.Response is SearchResponse partial && e.Response.ResultCode == ResultCode.SizeLimitExceeded)
                {
                    results.AddRange(partial.Entries.Cast<SearchResultEntry>());
                    return results;
                }
                results.AddRange(response.Entries.Cast<SearchResultEntry>());
                var cookie = paging is null ? null : response.Controls.OfType<PageResultResponseControl>().FirstOrDefault()?.Cookie;
                if (cookie is not { Length: > 0 })
                    return results;
                paging!.Cookie = cookie;
            }
        }, cancellationToken);

    // ---- filters (RFC 4515) and values ----

    static string And(params string[] parts) => Combine('&', parts);

    static string Or(params string[] parts) => Combine('|', parts);

    static string Combine(char op, string[] parts)
    {
        var filters = parts.Where(p => p.Length > 0).Select(p => p.StartsWith('(') ? p : "(" + p + ")").ToList();
        return filters.Count == 1 ? filters[0] : $"({op}{string.Concat(filters)})";
    }

    static string Equal(string attribute, string value) => $"({attribute}={Escape(value)})";

    static string UniqueFilter(string attribute, string value, bool binary)
    {
        if (!binary)
            return Equal(attribute, value);
        var bytes = Convert.FromHexString(value);
        return $"({attribute}={string.Concat(bytes.Select(b => "\\" + b.ToString("x2", CultureInfo.InvariantCulture)))})";
    }

    public static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is (byte)'*' or (byte)'(' or (byte)')' or (byte)'\\' or 0 || b >= 0x80)
                builder.Append('\\').Append(b.ToString("x2", CultureInfo.InvariantCulture));
            else
                builder.Append((char)b);
        }
        return builder.ToString();
    }

    static string NormalizeDn(string dn) =>
        string.Join(",", dn.Split(',').Select(part => part.Trim().ToLowerInvariant()));

    static IReadOnlyList<string> Values(SearchResultEntry entry, string attribute)
    {
        if (attribute.Length == 0)
            return [];
        foreach (string name in entry.Attributes.AttributeNames)
        {
            if (string.Equals(name, attribute, StringComparison.OrdinalIgnoreCase))
                return entry.Attributes[name].GetValues(typeof(string)).Cast<string>().ToList();
        }
        return [];
    }

    static string First(SearchResultEntry entry, string attribute) => Values(entry, attribute) is [var first, ..] ? first : "";

    static string? UniqueValue(SearchResultEntry entry, string attribute, bool binary)
    {
        foreach (string name in entry.Attributes.AttributeNames)
        {
            if (!string.Equals(name, attribute, StringComparison.OrdinalIgnoreCase))
                continue;
            if (!binary)
                return First(entry, attribute);
            return entry.Attributes[name].GetValues(typeof(byte[])) is [byte[] bytes, ..] ? Convert.ToHexString(bytes) : null;
        }
        return null;
    }

    static long NumericId(SearchResultEntry entry, string attribute) =>
        long.TryParse(First(entry, attribute), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id) ? id : 0;

    /// <summary>The original's boolean attributes: absent, 0, "false" and "no" are no; anything else yes.</summary>
    static bool Flag(SearchResultEntry entry, string attribute) => First(entry, attribute) is { Length: > 0 } value && IsTrue(value);

    static bool IsTrue(string value) =>
        !(value == "0" || value.Equals("false", StringComparison.OrdinalIgnoreCase) || value.Equals("no", StringComparison.OrdinalIgnoreCase));
}
