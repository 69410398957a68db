using System.Globalization;
using System.Text;

namespace Rookery.Directory;

/// <summary>The unix plugin's settings (unix.cfg) and where it reads the account files.</summary>
public sealed record UnixDirectoryOptions
{
    public int MinUserUid { get; init; } = 1000;
    public int MaxUserUid { get; init; } = 10000;
    public IReadOnlyList<int> ExceptUserUids { get; init; } = [];
    public int MinGroupGid { get; init; } = 1000;
    public int MaxGroupGid { get; init; } = 10000;
    public IReadOnlyList<int> ExceptGroupGids { get; init; } = [];
    public string NonLoginShell { get; init; } = "/bin/false";
    public string DefaultDomain { get; init; } = "localhost";
    public string FullNameCharset { get; init; } = "iso-8859-15";
    public string PasswdFile { get; init; } = "/etc/passwd";
    public string GroupFile { get; init; } = "/etc/group";
    public string ShadowFile { get; init; } = "/etc/shadow";
}

/// <summary>
/// user_plugin = unix: users from /etc/passwd within a uid range, groups from /etc/group,
/// passwords checked against /etc/shadow. What the files cannot hold (e-mail address,
/// admin flag, quota, features, aliases) is kept in Rookery's database.
/// </summary>
/// <param name="credentials">Recent password checks (auth_cache_*); none remembered when null.</param>
public sealed class UnixUserDirectory(UnixDirectoryOptions options, IDirectoryRepository repository, CredentialCache? credentials = null) : IUserDirectory
{
    readonly CredentialCache credentials = credentials ?? CredentialCache.Disabled;

    public const string Source = "unix";

    public string Name => Source;

    sealed record PasswdEntry(string Login, int Uid, int Gid, string Gecos, string Shell);

    public async Task<AuthenticationResult> AuthenticateAsync(string login, string password, CancellationToken cancellationToken = default)
    {
        var user = await FindUserAsync(login, cancellationToken);
        var hash = user is null ? null : ReadShadow().GetValueOrDefault(user.Login);
        if (user is null || hash is null || !credentials.Verify(user.Login, password, hash, UnixCrypt.Verify))
            return AuthenticationResult.Failed("invalid login or password");
        if (!user.Active)
            return AuthenticationResult.Failed("account is not active (shared store only)");
        return new AuthenticationResult(AuthenticationOutcome.Success, user);
    }

    public async Task<UserAccount?> FindUserAsync(string login, CancellationToken cancellationToken = default)
    {
        var entry = ReadUsers().FirstOrDefault(u => string.Equals(u.Login, login, StringComparison.Ordinal));
        return entry is null ? null : await ToAccountAsync(entry, cancellationToken);
    }

    public async Task<UserAccount?> FindByAddressAsync(string address, CancellationToken cancellationToken = default)
    {
        foreach (var user in await ListUsersAsync(cancellationToken))
            if (string.Equals(user.Email, address, StringComparison.OrdinalIgnoreCase) || user.Aliases.Contains(address, StringComparer.OrdinalIgnoreCase))
                return user;
        return null;
    }

    public async Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<UserAccount>();
        foreach (var entry in ReadUsers())
            result.Add(await ToAccountAsync(entry, cancellationToken));
        return result;
    }

    public async Task<UserAccount?> FindByStoreOwnerAsync(string storeOwner, CancellationToken cancellationToken = default) =>
        storeOwner.StartsWith(Source + ":", StringComparison.Ordinal) ? await FindUserAsync(storeOwner[(Source.Length + 1)..], cancellationToken) : null;

    public Task<IReadOnlyList<GroupInfo>> ListGroupsAsync(CancellationToken cancellationToken = default)
    {
        var users = ReadUsers();
        var groups = new List<GroupInfo>();
        foreach (var fields in ReadFile(options.GroupFile, 4))
        {
            if (!int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var gid) || !InRange(gid, options.MinGroupGid, options.MaxGroupGid, options.ExceptGroupGids))
                continue;
            var members = fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(m => users.Any(u => u.Login == m))
                .Concat(users.Where(u => u.Gid == gid).Select(u => u.Login))
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToList();
            groups.Add(new GroupInfo(gid, fields[0], "", "", members));
        }
        return Task.FromResult<IReadOnlyList<GroupInfo>>(groups);
    }

    async Task<UserAccount> ToAccountAsync(PasswdEntry entry, CancellationToken cancellationToken)
    {
        var extra = await repository.FindUserAsync(Source, entry.Login, cancellationToken);
        var groups = (await ListGroupsAsync(cancellationToken)).Where(g => g.Members.Contains(entry.Login)).Select(g => g.Name).ToList();
        var account = new UserAccount
        {
            Id = entry.Uid,
            Login = entry.Login,
            Source = Source,
            FullName = entry.Gecos.Split(',')[0],
            Email = $"{entry.Login}@{options.DefaultDomain}",
            Active = entry.Shell != options.NonLoginShell,
            Groups = groups,
        };
        if (extra is null)
            return account;
        return account with
        {
            Email = extra.Email.Length > 0 ? extra.Email : account.Email,
            IsAdmin = extra.IsAdmin,
            Hidden = extra.Hidden,
            Company = extra.Company,
            Aliases = extra.Aliases,
            QuotaOverride = extra.QuotaOverride,
            QuotaWarn = extra.QuotaWarn,
            QuotaSoft = extra.QuotaSoft,
            QuotaHard = extra.QuotaHard,
            EnabledFeatures = extra.EnabledFeatures,
            DisabledFeatures = extra.DisabledFeatures,
            SendAs = extra.SendAs,
        };
    }

    List<PasswdEntry> ReadUsers()
    {
        var users = new List<PasswdEntry>();
        foreach (var fields in ReadFile(options.PasswdFile, 7))
        {
            if (!int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ||
                !int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var gid) ||
                !InRange(uid, options.MinUserUid, options.MaxUserUid, options.ExceptUserUids))
                continue;
            users.Add(new PasswdEntry(fields[0], uid, gid, fields[4], fields[6]));
        }
        return users;
    }

    Dictionary<string, string> ReadShadow()
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var fields in ReadFile(options.ShadowFile, 2))
            hashes[fields[0]] = fields[1];
        return hashes;
    }

    IEnumerable<string[]> ReadFile(string path, int minimumFields)
    {
        var encoding = FullNameEncoding();
        foreach (var line in File.ReadLines(path, encoding))
        {
            if (line.Length == 0 || line[0] is '#' or '+' or '-')
                continue;
            var fields = line.Split(':');
            if (fields.Length >= minimumFields)
                yield return fields;
        }
    }

    Encoding FullNameEncoding()
    {
        // .NET has UTF-8 and Latin-1 built in; ISO-8859-15 differs from Latin-1 in eight letters
        // (€, Š, š, Ž, ž, Œ, œ, Ÿ), which are rare in GECOS fields.
        var charset = options.FullNameCharset.ToLowerInvariant();
        return charset is "utf-8" or "utf8" ? new UTF8Encoding(false) : Encoding.Latin1;
    }

    static bool InRange(int id, int min, int max, IReadOnlyList<int> except) => id >= min && id <= max && !except.Contains(id);
}
