namespace Rookery.Directory;

/// <summary>The features an account can have switched on or off (the original's names).</summary>
public static class Features
{
    public const string Imap = "imap";
    public const string Pop3 = "pop3";
    public const string Mobile = "mobile";
    public const string Outlook = "outlook";
    public const string WebApp = "webapp";

    public static IReadOnlyList<string> All { get; } = [Imap, Pop3, Mobile, Outlook, WebApp];

    public static bool IsKnown(string feature) => All.Contains(feature, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether <paramref name="feature"/> is on for <paramref name="user"/>: a feature the user has
    /// enabled is on even when disabled_features lists it; one the user has disabled is off.
    /// </summary>
    public static bool IsEnabled(UserAccount user, string feature, IEnumerable<string> globallyDisabled)
    {
        if (user.DisabledFeatures.Contains(feature, StringComparer.OrdinalIgnoreCase))
            return false;
        if (user.EnabledFeatures.Contains(feature, StringComparer.OrdinalIgnoreCase))
            return true;
        return !globallyDisabled.Contains(feature, StringComparer.OrdinalIgnoreCase);
    }
}

/// <summary>A user as every component sees it, whichever plugin it comes from.</summary>
public sealed record UserAccount
{
    public long Id { get; init; }
    public required string Login { get; init; }
    /// <summary>Which user plugin the account comes from: db, unix or ldap.</summary>
    public required string Source { get; init; }
    public string Email { get; init; } = "";
    public string FullName { get; init; } = "";
    public bool IsAdmin { get; init; }
    /// <summary>False for non-active accounts: the store exists and receives mail, nobody logs in as it.</summary>
    public bool Active { get; init; } = true;
    public bool Hidden { get; init; }
    public string Company { get; init; } = "";
    public IReadOnlyList<string> Aliases { get; init; } = [];
    public bool QuotaOverride { get; init; }
    /// <summary>Quota levels in MiB, used when <see cref="QuotaOverride"/> is set.</summary>
    public long QuotaWarn { get; init; }
    public long QuotaSoft { get; init; }
    public long QuotaHard { get; init; }
    public IReadOnlyList<string> EnabledFeatures { get; init; } = [];
    public IReadOnlyList<string> DisabledFeatures { get; init; } = [];
    /// <summary>Logins of the users allowed to send as this user.</summary>
    public IReadOnlyList<string> SendAs { get; init; } = [];
    public IReadOnlyList<string> Groups { get; init; } = [];
    /// <summary>
    /// The directory's own lasting identifier of the entry (ldap: the value of ldap_user_unique_attribute);
    /// null where the plugin has none and the id or login serves.
    /// </summary>
    public string? UniqueId { get; init; }
    /// <summary>Extra properties from the plugin's property map (ldap: !propmap), by the map's names.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Properties { get; init; } = EmptyProperties;

    static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> EmptyProperties = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The key that ties the account to its store, stable across renames.</summary>
    public string StoreOwner => $"{Source}:{UniqueId ?? (Source == "db" ? Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : Login)}";
}

public sealed record GroupInfo(long Id, string Name, string Email, string Company, IReadOnlyList<string> Members)
{
    /// <summary>False for a distribution group: it receives mail but cannot be given permissions.</summary>
    public bool Security { get; init; } = true;
    public bool Hidden { get; init; }
    public IReadOnlyList<string> Aliases { get; init; } = [];
}

public sealed record CompanyInfo(long Id, string Name);

public enum AuthenticationOutcome
{
    Success,
    Failed,
    /// <summary>The directory could not be asked (LDAP down): a temporary failure, not a wrong password.</summary>
    Unavailable,
}

public sealed record AuthenticationResult(AuthenticationOutcome Outcome, UserAccount? User, string? Reason = null)
{
    public static AuthenticationResult Failed(string reason) => new(AuthenticationOutcome.Failed, null, reason);
}

/// <summary>Whose an e-mail address is: the account's login and primary address (empty when it has none).</summary>
public sealed record AddressOwner(string Login, string Email);

/// <summary>A user plugin (user_plugin = db, unix, ldap): where accounts come from and how passwords are checked.</summary>
public interface IUserDirectory
{
    string Name { get; }

    Task<AuthenticationResult> AuthenticateAsync(string login, string password, CancellationToken cancellationToken = default);

    Task<UserAccount?> FindUserAsync(string login, CancellationToken cancellationToken = default);

    /// <summary>The account an e-mail address (primary or alias) belongs to; case-insensitive.</summary>
    Task<UserAccount?> FindByAddressAsync(string address, CancellationToken cancellationToken = default);

    /// <summary>
    /// The login and primary address of the account <paramref name="address"/> (primary or alias)
    /// belongs to: all Postfix's lookup tables need. Asked for every recipient; plugins that can read
    /// it without the rest of the account override it.
    /// </summary>
    async Task<AddressOwner?> FindAddressOwnerAsync(string address, CancellationToken cancellationToken = default) =>
        await FindByAddressAsync(address, cancellationToken) is { } user ? new AddressOwner(user.Login, user.Email) : null;

    Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>The account whose <see cref="UserAccount.StoreOwner"/> is <paramref name="storeOwner"/>.</summary>
    Task<UserAccount?> FindByStoreOwnerAsync(string storeOwner, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<GroupInfo>> ListGroupsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The quota settings of the account whose store is <paramref name="storeOwner"/> (null: no such
    /// account). Asked on every delivery and append; plugins that can read them alone override it.
    /// </summary>
    async Task<QuotaSettings?> FindQuotaByStoreOwnerAsync(string storeOwner, CancellationToken cancellationToken = default) =>
        await FindByStoreOwnerAsync(storeOwner, cancellationToken) is { } user ? QuotaSettings.Of(user) : null;

    /// <summary>The group whose e-mail address is <paramref name="address"/>; case-insensitive.</summary>
    async Task<GroupInfo?> FindGroupByAddressAsync(string address, CancellationToken cancellationToken = default) =>
        (await ListGroupsAsync(cancellationToken)).FirstOrDefault(g => g.Email.Length > 0 && string.Equals(g.Email, address, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The directory cannot be asked now (every LDAP server down or timing out): a temporary failure.
/// Logins answer it with a try-again (IMAP NO [UNAVAILABLE]), deliveries with 451 4.4.3 — never as
/// "wrong password" or "no such user".
/// </summary>
public sealed class DirectoryUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An account-management request refused by the directory (duplicate login, unknown group…).</summary>
public sealed class DirectoryException(string message) : Exception(message);

/// <summary>A user's own quota levels in MiB, used instead of the server's when <see cref="Override"/> is set.</summary>
public sealed record QuotaSettings(bool Override, long Warn, long Soft, long Hard)
{
    public static QuotaSettings Of(UserAccount user) => new(user.QuotaOverride, user.QuotaWarn, user.QuotaSoft, user.QuotaHard);
}
