using Rookery.Directory;
using Rookery.Directory.Ldap;

namespace Rookery.Store.Tests;

/// <summary>
/// What a login by bind costs the directory, counted on the plugin's own connections, and that
/// what it remembers never lets a wrong password in nor keeps a removed or disabled user in for
/// longer than ldap_cache_timeout. Each test has its own slapd: some change the directory.
/// </summary>
public sealed class LdapLoginCostTests : IAsyncLifetime
{
    Slapd slapd = null!;

    public async Task InitializeAsync() => slapd = await Slapd.StartAsync(TestLdif.Entries);

    public async Task DisposeAsync() => await slapd.DisposeAsync();

    LdapUserDirectory Directory(TimeProvider time, string poolSize = "10") =>
        new(TestLdif.Settings(slapd.Uri, overrides: new Dictionary<string, string>
        {
            ["ldap_authentication_method"] = "bind",
            ["ldap_cache_timeout"] = "300",
            ["ldap_pool_size"] = poolSize,
        }), time);

    static LdapOperationCounts Since(LdapOperationCounts before, LdapOperationCounts now) =>
        new(now.ConnectionsOpened - before.ConnectionsOpened, now.Requests - before.Requests, now.UserBinds - before.UserBinds);

    [Fact]
    public async Task A_repeated_login_is_one_bind_on_a_kept_connection_and_no_search()
    {
        using var directory = Directory(new ManualTime());
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);
        var before = directory.OperationCounts;
        var again = await directory.AuthenticateAsync("alice", TestLdif.AlicePassword);
        Assert.Equal(AuthenticationOutcome.Success, again.Outcome);
        Assert.Equal(["announce", "everyone", "staff"], again.User!.Groups);
        Assert.Equal(new LdapOperationCounts(0, 0, 1), Since(before, directory.OperationCounts));
    }

    [Fact]
    public async Task A_first_login_searches_the_user_and_its_groups_and_asks_for_dynamic_groups_once()
    {
        using var directory = Directory(new ManualTime());
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);
        var before = directory.OperationCounts;
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("bob", TestLdif.BobPassword)).Outcome);
        // bob's entry and his groups; the dynamic-group check and the group list it led to are remembered; the bind reuses alice's connection
        Assert.Equal(new LdapOperationCounts(0, 2, 1), Since(before, directory.OperationCounts));
    }

    [Fact]
    public async Task A_wrong_password_after_a_remembered_success_is_refused_with_one_bind()
    {
        using var directory = Directory(new ManualTime());
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);
        var before = directory.OperationCounts;
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("alice", "wrong")).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("alice", TestLdif.BobPassword)).Outcome);
        Assert.Equal(2, Since(before, directory.OperationCounts).UserBinds); // no second bind per attempt (lockout policies count them)
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);
    }

    [Fact]
    public async Task A_connection_a_bind_failed_on_serves_the_next_check_and_never_a_search()
    {
        using var directory = Directory(new ManualTime(), poolSize: "1");
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("bob", TestLdif.BobPassword)).Outcome);
        var before = directory.OperationCounts;
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("bob", "wrong")).Outcome);
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("bob", TestLdif.AlicePassword)).Outcome); // not bob on alice's binding
        Assert.Equal(0, Since(before, directory.OperationCounts).ConnectionsOpened);
        // Searches still run as the reader on its own connection: the whole directory is visible.
        Assert.Equal(["alice", "bob", "gina", "hidden", "public", "shared"], (await directory.ListUsersAsync()).Select(u => u.Login));
    }

    [Fact]
    public async Task A_kept_password_check_connection_the_server_dropped_is_replaced()
    {
        using var directory = Directory(new ManualTime());
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);
        await slapd.StopAsync();
        Assert.Equal(AuthenticationOutcome.Unavailable, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome); // not "wrong password"
        await slapd.RestartAsync();
        var before = directory.OperationCounts;
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("alice", "wrong")).Outcome);
        // One new connection for password checks, one for the search the wrong password led to: the reader's
        // kept connection was dropped too, and that search's first try on it counts as a request.
        Assert.Equal(new LdapOperationCounts(2, 2, 2), Since(before, directory.OperationCounts));
    }

    [Fact]
    public async Task A_user_removed_from_the_directory_is_refused_at_once()
    {
        using var directory = Directory(new ManualTime());
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("bob", TestLdif.BobPassword)).Outcome);
        await slapd.DeleteAsync($"uid=bob,ou=people,{Slapd.Suffix}");
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("bob", TestLdif.BobPassword)).Outcome);
    }

    [Fact]
    public async Task A_user_disabled_in_the_directory_is_refused_once_the_cache_expires()
    {
        var time = new ManualTime();
        using var directory = Directory(time);
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("bob", TestLdif.BobPassword)).Outcome);
        await slapd.ReplaceAsync($"uid=bob,ou=people,{Slapd.Suffix}", "kopanoSharedStoreOnly", "1");
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("bob", TestLdif.BobPassword)).Outcome); // remembered
        time.Advance(TimeSpan.FromSeconds(301));
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("bob", TestLdif.BobPassword)).Outcome);
    }

    [Fact]
    public async Task A_password_changed_in_the_directory_counts_at_once()
    {
        using var directory = Directory(new ManualTime());
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("bob", TestLdif.BobPassword)).Outcome);
        await slapd.ReplaceAsync($"uid=bob,ou=people,{Slapd.Suffix}", "userPassword", "renewed");
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("bob", TestLdif.BobPassword)).Outcome);
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("bob", "renewed")).Outcome);
    }

    [Fact]
    public async Task An_address_owner_for_postfix_is_one_search_and_the_same_entry_as_the_full_lookup()
    {
        using var directory = Directory(new ManualTime());
        var before = directory.OperationCounts;
        Assert.Equal(new AddressOwner("alice", "alice@example.com"), await directory.FindAddressOwnerAsync("A.Liddell@example.com"));
        Assert.Equal(new AddressOwner("bob", "bob@example.com"), await directory.FindAddressOwnerAsync("bob@example.com"));
        Assert.Null(await directory.FindAddressOwnerAsync("carol@elsewhere.example")); // a contact, not a user
        Assert.Null(await directory.FindAddressOwnerAsync("nobody@example.com"));
        Assert.Equal(4, Since(before, directory.OperationCounts).Requests);
        Assert.Equal(new AddressOwner("alice", "alice@example.com"), await directory.FindAddressOwnerAsync("a.liddell@example.com"));
        Assert.Equal(4, Since(before, directory.OperationCounts).Requests); // remembered
        var full = (await directory.FindByAddressAsync("rabbit-hole@example.com"))!;
        Assert.Equal(new AddressOwner(full.Login, full.Email), await directory.FindAddressOwnerAsync("rabbit-hole@example.com"));
    }

    sealed class ManualTime : TimeProvider
    {
        DateTimeOffset now = DateTimeOffset.UnixEpoch.AddYears(56);
        public override DateTimeOffset GetUtcNow() => now;
        public void Advance(TimeSpan by) => now += by;
    }
}
