using Rookery.Directory;

namespace Rookery.Store;

/// <summary>
/// Ties accounts to their stores: a user's private store is created the first time the user
/// logs in or is listed, as the original does.
/// </summary>
public sealed class UserStores(IMailStore mailStore, IUserDirectory directory, string defaultLocale)
{
    public Task<StoreInfo> EnsureStoreAsync(UserAccount user, CancellationToken cancellationToken = default) =>
        mailStore.EnsureStoreAsync(StoreKind.Private, user.StoreOwner, defaultLocale, cancellationToken);

    /// <summary>Checks a login and opens (at the first login: creates) the user's store.</summary>
    public async Task<(AuthenticationResult Result, StoreInfo? Store)> LoginAsync(string login, string password, CancellationToken cancellationToken = default)
    {
        var result = await directory.AuthenticateAsync(login, password, cancellationToken);
        if (result is not { Outcome: AuthenticationOutcome.Success, User: { } user })
            return (result, null);
        return (result, await EnsureStoreAsync(user, cancellationToken));
    }

    /// <summary>
    /// Private stores whose owner the directory no longer has (the user left LDAP, or its unique
    /// attribute changed). They are kept with their contents until an admin hooks them to a user.
    /// Throws when the directory cannot be asked, so a directory outage never makes orphans.
    /// </summary>
    public async Task<IReadOnlyList<StoreInfo>> ListOrphansAsync(CancellationToken cancellationToken = default)
    {
        var orphans = new List<StoreInfo>();
        foreach (var store in await mailStore.ListStoresAsync(cancellationToken))
        {
            if (store.Kind == StoreKind.Private && await directory.FindByStoreOwnerAsync(store.Owner, cancellationToken) is null)
                orphans.Add(store);
        }
        return orphans;
    }

    /// <summary>Makes an orphaned store the private store of <paramref name="user"/>, who must not have one yet.</summary>
    public async Task<StoreInfo> HookStoreAsync(long storeId, UserAccount user, CancellationToken cancellationToken = default)
    {
        var store = await mailStore.GetStoreAsync(storeId, cancellationToken);
        if (store.Kind != StoreKind.Private)
            throw new FolderOperationException($"store {storeId} is not a private store");
        if (await directory.FindByStoreOwnerAsync(store.Owner, cancellationToken) is { } owner)
            throw new FolderOperationException($"store {storeId} is not orphaned: it belongs to {owner.Login}");
        return await mailStore.ChangeStoreOwnerAsync(storeId, user.StoreOwner, cancellationToken);
    }

    /// <summary>Lists every user, creating stores that do not exist yet.</summary>
    public async Task<IReadOnlyList<(UserAccount User, StoreInfo Store)>> ListWithStoresAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<(UserAccount, StoreInfo)>();
        foreach (var user in await directory.ListUsersAsync(cancellationToken))
            result.Add((user, await EnsureStoreAsync(user, cancellationToken)));
        return result;
    }
}

/// <summary>
/// The quota of a store: its owner's override, else the server's quota_warn/quota_soft/quota_hard.
/// It needs only the directory, so a store can be built with it directly.
/// </summary>
public sealed class AccountQuotaPolicy(IUserDirectory directory, QuotaLimits serverDefaults) : IQuotaPolicy
{
    public static QuotaLimits LimitsFor(UserAccount? user, QuotaLimits serverDefaults) =>
        LimitsFor(user is null ? null : QuotaSettings.Of(user), serverDefaults);

    public static QuotaLimits LimitsFor(QuotaSettings? settings, QuotaLimits serverDefaults) =>
        settings is { Override: true } ? QuotaLimits.FromMebibytes(settings.Warn, settings.Soft, settings.Hard) : serverDefaults;

    public async ValueTask<QuotaLimits> GetLimitsAsync(StoreInfo store, CancellationToken cancellationToken)
    {
        if (store.Kind != StoreKind.Private)
            return serverDefaults;
        return LimitsFor(await directory.FindQuotaByStoreOwnerAsync(store.Owner, cancellationToken), serverDefaults);
    }
}
