using Rookery.Directory;
using Rookery.Directory.Ldap;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

/// <summary>
/// The same directory behaviours against every user plugin that has them (db and ldap): each
/// subclass fills its directory with alice (admin, aliases, imap enabled, quota override),
/// bob (pop3 disabled), a hidden user and the group staff = alice + bob.
/// </summary>
public abstract class DirectoryScenarioTests : IAsyncLifetime
{
    protected TestDatabase Test { get; private set; } = null!;
    protected IUserDirectory Directory { get; set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Test = await TestDatabase.CreateAsync();
        await FillAsync();
    }

    public virtual async Task DisposeAsync() => await Test.DisposeAsync();

    protected abstract Task FillAsync();

    /// <summary>Takes bob out of the directory.</summary>
    protected abstract Task RemoveBobAsync();

    [Fact]
    public async Task A_user_logs_in_with_the_right_password_only()
    {
        Assert.Equal(AuthenticationOutcome.Success, (await Directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await Directory.AuthenticateAsync("alice", "wrong")).Outcome);
        var login = await new Authenticator(Directory, ["imap", "pop3"], new AuthenticationLimits { FailureDelay = TimeSpan.Zero }, TimeProvider.System)
            .LoginAsync("bob", TestLdif.BobPassword, Features.Pop3, "127.0.0.1");
        Assert.Equal(LoginOutcome.FeatureDisabled, login.Outcome);
    }

    [Fact]
    public async Task Aliases_resolve_to_their_user()
    {
        Assert.Equal("alice", (await Directory.FindByAddressAsync("A.Liddell@example.com"))?.Login);
        Assert.Null(await Directory.FindByAddressAsync("nobody@example.com"));
    }

    [Fact]
    public async Task Groups_list_their_members()
    {
        var staff = (await Directory.ListGroupsAsync()).Single(g => g.Name == "staff");
        Assert.Equal(["alice", "bob"], staff.Members.Order());
    }

    [Fact]
    public async Task Features_enabled_per_user_override_disabled_features()
    {
        var alice = (await Directory.FindUserAsync("alice"))!;
        Assert.True(Features.IsEnabled(alice, Features.Imap, ["imap", "pop3"]));
        Assert.False(Features.IsEnabled(alice, Features.Pop3, ["imap", "pop3"]));
        Assert.False(Features.IsEnabled((await Directory.FindUserAsync("bob"))!, Features.Pop3, []));
    }

    [Fact]
    public async Task Quota_comes_from_the_user()
    {
        var alice = (await Directory.FindUserAsync("alice"))!;
        Assert.Equal(QuotaLimits.FromMebibytes(100, 200, 300), AccountQuotaPolicy.LimitsFor(alice, QuotaLimits.FromMebibytes(1, 2, 3)));
        Assert.Equal(QuotaLimits.FromMebibytes(1, 2, 3), AccountQuotaPolicy.LimitsFor((await Directory.FindUserAsync("bob"))!, QuotaLimits.FromMebibytes(1, 2, 3)));
    }

    [Fact]
    public async Task Hidden_users_are_flagged_and_left_out_of_the_address_book()
    {
        var users = await Directory.ListUsersAsync();
        Assert.Contains(users, u => u.Login == "hidden" && u.Hidden);
        Assert.DoesNotContain("hidden", users.Where(u => !u.Hidden).Select(u => u.Login));
    }

    [Fact]
    public async Task A_user_who_leaves_the_directory_leaves_an_orphaned_store_that_can_be_hooked_to_another_user()
    {
        var store = Test.CreateStore();
        var stores = new UserStores(store, Directory, "en_US.UTF-8");
        var bobStore = await stores.EnsureStoreAsync((await Directory.FindUserAsync("bob"))!);
        await stores.EnsureStoreAsync((await Directory.FindUserAsync("alice"))!);
        Assert.Empty(await stores.ListOrphansAsync());

        await RemoveBobAsync();

        var orphan = Assert.Single(await stores.ListOrphansAsync());
        Assert.Equal(bobStore.Id, orphan.Id);
        Assert.NotNull(await store.FindStoreAsync(StoreKind.Private, bobStore.Owner)); // kept, contents and all

        var hidden = (await Directory.FindUserAsync("hidden"))!;
        var alice = (await Directory.FindUserAsync("alice"))!;
        await Assert.ThrowsAsync<FolderOperationException>(() => stores.HookStoreAsync(bobStore.Id, alice)); // alice has a store
        var hooked = await stores.HookStoreAsync(bobStore.Id, hidden);
        Assert.Equal(hidden.StoreOwner, hooked.Owner);
        Assert.Empty(await stores.ListOrphansAsync());
        Assert.Equal(bobStore.Id, (await stores.EnsureStoreAsync(hidden)).Id);
    }

    [Fact]
    public async Task Hooking_an_orphaned_store_drops_the_grants_to_its_former_owner()
    {
        var store = Test.CreateStore();
        var stores = new UserStores(store, Directory, "en_US.UTF-8");
        var grants = new SqlFolderGrants(Test.Database);
        var bob = (await Directory.FindUserAsync("bob"))!;
        var alice = (await Directory.FindUserAsync("alice"))!;
        var hidden = (await Directory.FindUserAsync("hidden"))!;
        var bobStore = await stores.EnsureStoreAsync(bob);
        var aliceStore = await stores.EnsureStoreAsync(alice);
        var alicesInbox = (await store.ListFoldersAsync(aliceStore.Id)).Single(f => f.SpecialUse == SpecialUse.Inbox);
        var bobsInbox = (await store.ListFoldersAsync(bobStore.Id)).Single(f => f.SpecialUse == SpecialUse.Inbox);
        await grants.SetAsync(alicesInbox.Id, Grantee.User(bob), FolderRoles.Reviewer);
        await grants.SetAsync(bobsInbox.Id, Grantee.User(hidden), FolderRoles.Reviewer);
        await grants.SetAsync(bobsInbox.Id, Grantee.User(alice), FolderRoles.Author);

        await RemoveBobAsync();
        await stores.HookStoreAsync(bobStore.Id, hidden);

        Assert.Empty(await grants.ListForStoreAsync(aliceStore.Id)); // what alice gave bob went with him
        // in the store hidden now owns, their own grant is moot; alice's stays
        Assert.Equal([Grantee.User(alice)], (await grants.ListForStoreAsync(bobStore.Id)).Select(g => g.Grantee));
    }
}

public sealed class DbDirectoryScenarioTests : DirectoryScenarioTests
{
    SqlDirectoryRepository repository = null!;

    protected override async Task FillAsync()
    {
        repository = new SqlDirectoryRepository(Test.Database);
        Directory = new DbUserDirectory(repository);
        var hasher = new PasswordHasher(20_000);
        await repository.CreateUserAsync("db", "alice", hasher.Hash(TestLdif.AlicePassword), new UserUpdate
        {
            Email = "alice@example.com", IsAdmin = true, AddAliases = ["a.liddell@example.com"], EnableFeatures = ["imap"],
            QuotaOverride = true, QuotaWarn = 100, QuotaSoft = 200, QuotaHard = 300,
        });
        await repository.CreateUserAsync("db", "bob", hasher.Hash(TestLdif.BobPassword), new UserUpdate { Email = "bob@example.com", DisableFeatures = ["pop3"] });
        await repository.CreateUserAsync("db", "hidden", hasher.Hash("hidden"), new UserUpdate { Email = "hidden@example.com", Hidden = true });
        await repository.CreateGroupAsync("staff", "staff@example.com", "");
        await repository.AddGroupMemberAsync("staff", "db", "alice");
        await repository.AddGroupMemberAsync("staff", "db", "bob");
    }

    protected override Task RemoveBobAsync() => repository.DeleteUserAsync("db", "bob");
}

public sealed class LdapDirectoryScenarioTests : DirectoryScenarioTests
{
    Slapd slapd = null!;

    protected override async Task FillAsync()
    {
        slapd = await Slapd.StartAsync(TestLdif.Entries);
        Directory = new LdapUserDirectory(TestLdif.Settings(slapd.Uri), TimeProvider.System);
    }

    protected override Task RemoveBobAsync() => slapd.DeleteAsync($"uid=bob,ou=people,{Slapd.Suffix}");

    public override async Task DisposeAsync()
    {
        ((LdapUserDirectory)Directory).Dispose();
        await slapd.DisposeAsync();
        await base.DisposeAsync();
    }
}

/// <summary>What happens when no LDAP server answers: temporary failures, never "wrong password" or "no such user".</summary>
public sealed class LdapUnavailableTests : IAsyncLifetime
{
    Slapd slapd = null!;

    public async Task InitializeAsync() => slapd = await Slapd.StartAsync(TestLdif.Entries);

    public async Task DisposeAsync() => await slapd.DisposeAsync();

    [Fact]
    public async Task With_every_server_down_logins_and_lookups_fail_temporarily()
    {
        using var directory = new LdapUserDirectory(TestLdif.Settings($"ldap://127.0.0.1:{Slapd.FreePort()}/ {slapd.Uri}"), TimeProvider.System);
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);

        await slapd.StopAsync();

        Assert.Equal(AuthenticationOutcome.Unavailable, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);
        await Assert.ThrowsAsync<DirectoryUnavailableException>(() => directory.FindByAddressAsync("alice@example.com"));
        await Assert.ThrowsAsync<DirectoryUnavailableException>(() => directory.ListUsersAsync());
        var login = await new Authenticator(directory, [], new AuthenticationLimits { FailureDelay = TimeSpan.Zero }, TimeProvider.System)
            .LoginAsync("alice", TestLdif.AlicePassword, Features.Imap, "127.0.0.1");
        Assert.Equal(LoginOutcome.Unavailable, login.Outcome);

        await slapd.RestartAsync();
        Assert.Equal("alice", (await directory.FindByAddressAsync("alice@example.com"))?.Login); // back without a restart of ours
    }
}
