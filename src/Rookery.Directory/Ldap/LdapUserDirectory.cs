using Microsoft.Extensions.Logging;

namespace Rookery.Directory.Ldap;

/// <summary>An address list (a sub-list of the address book): the users matching its filter.</summary>
public sealed record AddressListInfo(string Name, IReadOnlyList<string> Members, bool Hidden);

/// <summary>A contact: an address book entry with no store and no login.</summary>
public sealed record ContactInfo(string Name, string Email, IReadOnlyList<string> Aliases, bool Hidden);

/// <summary>
/// user_plugin = ldap: users, groups, companies, contacts and address lists read from an LDAP
/// directory (OpenLDAP, Active Directory), never written. Lookups are remembered for
/// ldap_cache_timeout; when no server answers, every call throws <see cref="DirectoryUnavailableException"/>
/// (logins: <see cref="AuthenticationOutcome.Unavailable"/>). A reload hands it a new ldap.cfg
/// (<see cref="Reconfigure"/>): new servers, new mapping, empty caches, without a restart.
/// </summary>
public sealed class LdapUserDirectory : IUserDirectory, IDisposable
{
    public const string Source = "ldap";

    readonly TimeProvider time;
    readonly ILogger? log;
    LdapMapping current;

    public LdapUserDirectory(LdapSettings settings, TimeProvider time, ILogger? logger = null)
    {
        this.time = time;
        log = logger;
        current = new LdapMapping(settings, time, logger);
    }

    public string Name => Source;

    public LdapSettings Settings => Current.Settings;

    LdapMapping Current => Volatile.Read(ref current);

    /// <summary>
    /// Reads the directory with <paramref name="settings"/> from now on. Calls already under way
    /// finish with the old settings; their connections close once those calls have had
    /// ldap_network_timeout to end.
    /// </summary>
    public void Reconfigure(LdapSettings settings)
    {
        var replaced = Interlocked.Exchange(ref current, new LdapMapping(settings, time, log));
        _ = Task.Delay(replaced.Settings.Connection.Timeout * 2, time).ContinueWith(_ => replaced.Dispose(), TaskScheduler.Default);
    }

    /// <summary>What the current mapping has asked of the LDAP servers: connections, searches, password binds.</summary>
    public LdapOperationCounts OperationCounts => Current.Counts;

    /// <summary>Forgets every remembered lookup.</summary>
    public void ClearCache() => Current.ClearCache();

    public void Dispose() => Current.Dispose();

    public Task<AuthenticationResult> AuthenticateAsync(string login, string password, CancellationToken cancellationToken = default) =>
        Current.AuthenticateAsync(login, password, cancellationToken);

    public Task<UserAccount?> FindUserAsync(string login, CancellationToken cancellationToken = default) => Current.FindUserAsync(login, cancellationToken);

    public Task<UserAccount?> FindByAddressAsync(string address, CancellationToken cancellationToken = default) => Current.FindByAddressAsync(address, cancellationToken);

    public Task<AddressOwner?> FindAddressOwnerAsync(string address, CancellationToken cancellationToken = default) =>
        Current.FindAddressOwnerAsync(address, cancellationToken);

    public Task<UserAccount?> FindByStoreOwnerAsync(string storeOwner, CancellationToken cancellationToken = default) =>
        Current.FindByStoreOwnerAsync(storeOwner, cancellationToken);

    public Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken cancellationToken = default) => Current.ListUsersAsync(cancellationToken);

    public Task<IReadOnlyList<GroupInfo>> ListGroupsAsync(CancellationToken cancellationToken = default) => Current.ListGroupsAsync(cancellationToken);

    public Task<GroupInfo?> FindGroupByAddressAsync(string address, CancellationToken cancellationToken = default) =>
        Current.FindGroupByAddressAsync(address, cancellationToken);

    /// <summary>The companies (tenants), with enable_hosted_kopano; empty without.</summary>
    public Task<IReadOnlyList<CompanyInfo>> ListCompaniesAsync(CancellationToken cancellationToken = default) => Current.ListCompaniesAsync(cancellationToken);

    public Task<IReadOnlyList<AddressListInfo>> ListAddressListsAsync(CancellationToken cancellationToken = default) => Current.ListAddressListsAsync(cancellationToken);

    public Task<IReadOnlyList<ContactInfo>> ListContactsAsync(CancellationToken cancellationToken = default) => Current.ListContactsAsync(cancellationToken);

    /// <summary>
    /// The values of <paramref name="attribute"/> on the entry of <paramref name="user"/> (found by its
    /// login), read fresh: what only a plugin gives meaning to, such as movetopublicldap's public folder.
    /// </summary>
    public Task<IReadOnlyList<string>> ReadUserAttributeAsync(UserAccount user, string attribute, CancellationToken cancellationToken = default) =>
        Current.ReadUserAttributeAsync(user, attribute, cancellationToken);

    public static string Escape(string value) => LdapMapping.Escape(value);
}
