using Rookery.Directory;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

public sealed class DirectoryTests : IAsyncLifetime
{
    TestDatabase test = null!;
    SqlDirectoryRepository repository = null!;
    DbUserDirectory directory = null!;
    readonly PasswordHasher hasher = new(20_000);

    public async Task InitializeAsync()
    {
        test = await TestDatabase.CreateAsync();
        repository = new SqlDirectoryRepository(test.Database);
        directory = new DbUserDirectory(repository);
    }

    public async Task DisposeAsync() => await test.DisposeAsync();

    Task<UserAccount> AddAsync(string login, string password, string email, UserUpdate? properties = null) =>
        repository.CreateUserAsync("db", login, hasher.Hash(password), (properties ?? new UserUpdate()) with { Email = email });

    [Fact]
    public async Task A_user_logs_in_with_the_right_password_only()
    {
        await AddAsync("alice", "s3cret", "alice@example.com", new UserUpdate { FullName = "Alice A." });

        var ok = await directory.AuthenticateAsync("ALICE", "s3cret");
        Assert.Equal(AuthenticationOutcome.Success, ok.Outcome);
        Assert.Equal("Alice A.", ok.User!.FullName);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("alice", "wrong")).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("nobody", "s3cret")).Outcome);
    }

    [Fact]
    public async Task Passwords_are_stored_as_salted_hashes()
    {
        await AddAsync("alice", "s3cret", "alice@example.com");
        await AddAsync("bob", "s3cret", "bob@example.com");
        var a = await repository.GetPasswordHashAsync("db", "alice");
        var b = await repository.GetPasswordHashAsync("db", "bob");
        Assert.StartsWith("$pbkdf2-sha512$", a);
        Assert.DoesNotContain("s3cret", a);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task Non_active_accounts_cannot_log_in_but_exist()
    {
        await AddAsync("shared", "pw", "shared@example.com", new UserUpdate { Active = false });
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("shared", "pw")).Outcome);
        Assert.NotNull(await directory.FindByAddressAsync("shared@example.com"));
    }

    [Fact]
    public async Task Addresses_and_aliases_resolve_case_insensitively_and_are_unique()
    {
        await AddAsync("alice", "pw", "Alice@Example.com", new UserUpdate { AddAliases = ["a.smith@example.com"] });

        Assert.Equal("alice", (await directory.FindByAddressAsync("alice@EXAMPLE.com"))?.Login);
        Assert.Equal("alice", (await directory.FindByAddressAsync("A.Smith@example.com"))?.Login);
        Assert.Null(await directory.FindByAddressAsync("nobody@example.com"));
        await Assert.ThrowsAsync<DirectoryException>(() => AddAsync("bob", "pw", "a.smith@example.com"));
        await Assert.ThrowsAsync<DirectoryException>(() => AddAsync("ALICE", "pw", "other@example.com"));
    }

    [Fact]
    public async Task User_features_override_disabled_features()
    {
        var user = await AddAsync("alice", "pw", "alice@example.com", new UserUpdate { EnableFeatures = ["imap"], DisableFeatures = ["webapp"] });
        string[] serverDisabled = ["imap", "pop3"];

        Assert.True(Features.IsEnabled(user, "imap", serverDisabled));
        Assert.False(Features.IsEnabled(user, "pop3", serverDisabled));
        Assert.False(Features.IsEnabled(user, "webapp", serverDisabled));
        Assert.True(Features.IsEnabled(user, "mobile", serverDisabled));
        await Assert.ThrowsAsync<DirectoryException>(() => repository.UpdateUserAsync("db", "alice", new UserUpdate { EnableFeatures = ["telepathy"] }, null));
    }

    [Fact]
    public async Task Groups_have_members_and_send_as_lists_are_kept()
    {
        await AddAsync("alice", "pw", "alice@example.com");
        await AddAsync("bob", "pw", "bob@example.com", new UserUpdate { AddSendAs = ["alice"] });
        await repository.CreateGroupAsync("sales", "sales@example.com", "");
        await repository.AddGroupMemberAsync("sales", "db", "alice");
        await repository.AddGroupMemberAsync("sales", "db", "bob");

        var group = Assert.Single(await directory.ListGroupsAsync());
        Assert.Equal(["alice", "bob"], group.Members);
        Assert.Equal(["alice"], (await directory.FindUserAsync("bob"))!.SendAs);
        Assert.Equal(["sales"], (await directory.FindUserAsync("alice"))!.Groups);

        await repository.DeleteUserAsync("db", "alice");
        Assert.Equal(["bob"], Assert.Single(await directory.ListGroupsAsync()).Members);
        Assert.Empty((await directory.FindUserAsync("bob"))!.SendAs);
    }

    [Fact]
    public async Task Users_belong_to_companies_that_must_exist()
    {
        await repository.CreateCompanyAsync("Acme");
        var user = await AddAsync("wile", "pw", "wile@acme.example", new UserUpdate { Company = "acme" });
        Assert.Equal("Acme", user.Company);
        await Assert.ThrowsAsync<DirectoryException>(() => AddAsync("road", "pw", "road@x.example", new UserUpdate { Company = "Nope" }));
        await Assert.ThrowsAsync<DirectoryException>(() => repository.DeleteCompanyAsync("Acme"));
    }

    [Fact]
    public async Task A_store_is_created_at_first_use_with_the_user_quota_override()
    {
        var store = test.CreateStore();
        var users = new UserStores(store, directory, "nl_NL.UTF-8");
        var quota = new AccountQuotaPolicy(directory, QuotaLimits.FromMebibytes(100, 150, 200));
        var alice = await AddAsync("alice", "pw", "alice@example.com", new UserUpdate { QuotaOverride = true, QuotaWarn = 1, QuotaSoft = 2, QuotaHard = 3 });
        await AddAsync("bob", "pw", "bob@example.com");

        Assert.Null(await store.FindStoreAsync(StoreKind.Private, alice.StoreOwner));
        var listed = await users.ListWithStoresAsync();
        Assert.Equal(2, listed.Count);
        var aliceStore = listed.Single(l => l.User.Login == "alice").Store;
        Assert.Contains(await store.ListFoldersAsync(aliceStore.Id), f => f.Name == "Postvak IN");

        Assert.Equal(QuotaLimits.FromMebibytes(1, 2, 3), await quota.GetLimitsAsync(aliceStore, default));
        Assert.Equal(QuotaLimits.FromMebibytes(100, 150, 200), await quota.GetLimitsAsync(listed.Single(l => l.User.Login == "bob").Store, default));
    }

    [Fact]
    public async Task A_store_is_created_at_the_first_login_and_not_for_a_failed_one()
    {
        var store = test.CreateStore();
        var users = new UserStores(store, directory, "de_DE.UTF-8");
        var alice = await AddAsync("alice", "pw", "alice@example.com");

        var (failed, none) = await users.LoginAsync("alice", "wrong");
        Assert.Equal(AuthenticationOutcome.Failed, failed.Outcome);
        Assert.Null(none);
        Assert.Null(await store.FindStoreAsync(StoreKind.Private, alice.StoreOwner));

        var (ok, created) = await users.LoginAsync("alice", "pw");
        Assert.Equal(AuthenticationOutcome.Success, ok.Outcome);
        Assert.NotNull(created);
        Assert.Contains(await store.ListFoldersAsync(created.Id), f => f.Name == "Posteingang");
        var (_, again) = await users.LoginAsync("alice", "pw");
        Assert.Equal(created.Id, again!.Id);
    }
}
