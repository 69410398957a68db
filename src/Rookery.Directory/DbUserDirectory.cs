namespace Rookery.Directory;

/// <summary>user_plugin = db: accounts live in Rookery's database and are managed with <c>rookery admin</c>.</summary>
/// <param name="credentials">Recent password checks (auth_cache_*); none remembered when null.</param>
public sealed class DbUserDirectory(IDirectoryRepository repository, CredentialCache? credentials = null) : IUserDirectory
{
    readonly CredentialCache credentials = credentials ?? CredentialCache.Disabled;

    public const string Source = "db";

    public string Name => Source;

    public async Task<AuthenticationResult> AuthenticateAsync(string login, string password, CancellationToken cancellationToken = default)
    {
        var user = await repository.FindUserAsync(Source, login, cancellationToken);
        var hash = user is null ? null : await repository.GetPasswordHashAsync(Source, login, cancellationToken);
        // Verify against a dummy hash for unknown users too, so timing does not reveal which logins exist.
        var ok = credentials.Verify(login, password, hash ?? DummyHash.Value, PasswordHasher.Verify);
        if (user is null || hash is null || !ok)
            return AuthenticationResult.Failed("invalid login or password");
        if (!user.Active)
            return AuthenticationResult.Failed("account is not active (shared store only)");
        return new AuthenticationResult(AuthenticationOutcome.Success, user);
    }

    public Task<UserAccount?> FindUserAsync(string login, CancellationToken cancellationToken = default) =>
        repository.FindUserAsync(Source, login, cancellationToken);

    public Task<UserAccount?> FindByAddressAsync(string address, CancellationToken cancellationToken = default) =>
        repository.FindByAddressAsync(Source, address, cancellationToken);

    public Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken cancellationToken = default) =>
        repository.ListUsersAsync(Source, cancellationToken);

    public async Task<UserAccount?> FindByStoreOwnerAsync(string storeOwner, CancellationToken cancellationToken = default) =>
        IdOf(storeOwner) is { } id && await repository.FindUserByIdAsync(id, cancellationToken) is { Source: Source } user ? user : null;

    public async Task<QuotaSettings?> FindQuotaByStoreOwnerAsync(string storeOwner, CancellationToken cancellationToken = default) =>
        IdOf(storeOwner) is { } id ? await repository.FindQuotaByIdAsync(Source, id, cancellationToken) : null;

    /// <summary>The user id in a store owner <c>db:ID</c>.</summary>
    static long? IdOf(string storeOwner) =>
        storeOwner.StartsWith(Source + ":", StringComparison.Ordinal) && long.TryParse(storeOwner.AsSpan(Source.Length + 1), out var id) ? id : null;

    public Task<IReadOnlyList<GroupInfo>> ListGroupsAsync(CancellationToken cancellationToken = default) =>
        repository.ListGroupsAsync(cancellationToken);

    static readonly Lazy<string> DummyHash = new(() => new PasswordHasher().Hash(Guid.NewGuid().ToString()));
}
