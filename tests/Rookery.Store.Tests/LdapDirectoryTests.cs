using Rookery.Common.Configuration;
using Rookery.Directory;
using Rookery.Directory.Ldap;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

public sealed class LdapDirectoryTests(SlapdFixture fixture) : IClassFixture<SlapdFixture>
{
    LdapUserDirectory Directory(IReadOnlyDictionary<string, string>? overrides = null, bool hosted = false, string? uri = null) =>
        new(TestLdif.Settings(uri ?? fixture.Server.Uri, hosted, overrides), TimeProvider.System);

    [Fact]
    public async Task Users_are_the_entries_of_the_user_type_with_their_attributes()
    {
        using var directory = Directory();
        var users = await directory.ListUsersAsync();
        Assert.Equal(["alice", "bob", "gina", "hidden", "public", "shared"], users.Select(u => u.Login));
        var alice = users[0];
        Assert.Equal(("Alice Liddell", "alice@example.com", "ldap", "1001"), (alice.FullName, alice.Email, alice.Source, alice.UniqueId));
        Assert.Equal("ldap:1001", alice.StoreOwner);
        Assert.True(alice.IsAdmin);
        Assert.Equal(["a.liddell@example.com", "rabbit-hole@example.com"], alice.Aliases);
        Assert.Equal(["announce", "everyone", "staff"], alice.Groups);
        Assert.Equal(["bob"], alice.SendAs);
        Assert.False(users.Single(u => u.Login == "bob").IsAdmin);
        Assert.False(users.Single(u => u.Login == "shared").Active);
        Assert.True(users.Single(u => u.Login == "hidden").Hidden);
        var publicFolder = users.Single(u => u.Login == "public");
        Assert.Equal((false, true), (publicFolder.Active, publicFolder.Hidden));
    }

    [Fact]
    public async Task Contacts_are_in_the_address_book_but_are_not_users()
    {
        using var directory = Directory();
        Assert.Equal(["Carol External"], (await directory.ListContactsAsync()).Select(c => c.Name));
        Assert.Null(await directory.FindByAddressAsync("carol@elsewhere.example"));
    }

    [Fact]
    public async Task Signals_arriving_while_connecting_do_not_make_the_directory_unavailable()
    {
        // Every child process that exits sends SIGCHLD to some thread, maybe one waiting in libldap's poll().
        using var stop = new CancellationTokenSource();
        var children = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var child = System.Diagnostics.Process.Start("/bin/true")!;
                await child.WaitForExitAsync();
            }
        });
        try
        {
            for (var i = 0; i < 200; i++)
            {
                using var directory = Directory(); // new connections each time
                var result = await directory.AuthenticateAsync("bob", TestLdif.BobPassword);
                Assert.True(result.Outcome == AuthenticationOutcome.Success, $"login {i}: {result.Outcome} {result.Reason}");
            }
        }
        finally
        {
            await stop.CancelAsync();
            await children;
        }
    }

    [Theory]
    [InlineData("bind")]
    [InlineData("password")]
    public async Task A_user_logs_in_with_the_right_password_only(string method)
    {
        using var directory = Directory(new Dictionary<string, string> { ["ldap_authentication_method"] = method });
        var ok = await directory.AuthenticateAsync("alice", TestLdif.AlicePassword);
        Assert.Equal(AuthenticationOutcome.Success, ok.Outcome);
        Assert.Equal("alice", ok.User!.Login);
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("bob", TestLdif.BobPassword)).Outcome); // clear-text userPassword
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("alice", "wrong")).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("alice", "")).Outcome); // not an unauthenticated bind
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("nobody", "x")).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("alice*", TestLdif.AlicePassword)).Outcome); // filter characters are escaped
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("shared", "shared")).Outcome); // non-active
    }

    [Fact]
    public async Task Addresses_and_aliases_resolve_case_insensitively()
    {
        using var directory = Directory();
        Assert.Equal("alice", (await directory.FindByAddressAsync("Rabbit-Hole@Example.COM"))?.Login);
        Assert.Equal("alice", (await directory.FindByAddressAsync("alice@example.com"))?.Login);
        Assert.Null(await directory.FindByAddressAsync("nobody@example.com"));
        Assert.Equal("staff", (await directory.FindGroupByAddressAsync("STAFF@example.com"))?.Name);
    }

    [Fact]
    public async Task Group_members_by_text_value_and_security_flag()
    {
        using var directory = Directory();
        var groups = await directory.ListGroupsAsync();
        var staff = groups.Single(g => g.Name == "staff");
        Assert.Equal(["alice", "bob"], staff.Members);
        Assert.True(staff.Security); // no kopanoSecurityGroup: a security group
        Assert.False(groups.Single(g => g.Name == "announce").Security); // kopanoSecurityGroup: 0 = distribution group
        Assert.True(groups.Single(g => g.Name == "secret-club").Hidden);
        Assert.Equal(["alice", "bob", "public"], groups.Single(g => g.Name == "everyone").Members); // dynamic: kopanoAccount=1
    }

    [Fact]
    public async Task Group_members_by_dn()
    {
        using var directory = Directory(new Dictionary<string, string>
        {
            ["ldap_group_type_attribute_value"] = "groupOfNames",
            ["ldap_group_unique_attribute"] = "cn",
            ["ldap_groupmembers_attribute"] = "member",
            ["ldap_groupmembers_attribute_type"] = "dn",
            ["ldap_groupmembers_relation_attribute"] = "",
        });
        var engineers = (await directory.ListGroupsAsync()).Single(g => g.Name == "engineers");
        Assert.Equal(["bob", "shared"], engineers.Members);
        Assert.Contains("engineers", (await directory.FindUserAsync("bob"))!.Groups);
    }

    [Fact]
    public async Task Features_enabled_or_disabled_per_entry_override_disabled_features()
    {
        using var directory = Directory();
        string[] disabled = ["imap", "pop3"];
        var alice = (await directory.FindUserAsync("alice"))!;
        var bob = (await directory.FindUserAsync("bob"))!;
        Assert.True(Features.IsEnabled(alice, Features.Imap, disabled));
        Assert.False(Features.IsEnabled(alice, Features.Pop3, disabled));
        Assert.False(Features.IsEnabled(bob, Features.Pop3, []));
        Assert.True(Features.IsEnabled(bob, Features.Imap, []));
    }

    [Fact]
    public async Task Quota_comes_from_the_entry_or_its_company_default()
    {
        using var directory = Directory(hosted: true);
        var alice = (await directory.FindUserAsync("alice"))!;
        Assert.Equal((true, 100L, 200L, 300L), (alice.QuotaOverride, alice.QuotaWarn, alice.QuotaSoft, alice.QuotaHard));
        var limits = await new AccountQuotaPolicy(directory, QuotaLimits.FromMebibytes(1, 2, 3))
            .GetLimitsAsync(new StoreInfo(1, StoreKind.Private, alice.StoreOwner, "en_US.UTF-8", 1, 0), default);
        Assert.Equal(QuotaLimits.FromMebibytes(100, 200, 300), limits);
        var gina = (await directory.FindUserAsync("gina"))!;
        Assert.Equal(("globex", true, 50L), (gina.Company, gina.QuotaOverride, gina.QuotaHard));
        Assert.False((await directory.FindUserAsync("bob"))!.QuotaOverride);
    }

    [Fact]
    public async Task Companies_only_with_hosting()
    {
        using var hosted = Directory(new Dictionary<string, string> { ["ldap_company_search_filter"] = "(objectClass=kopano-company)" }, hosted: true);
        Assert.Equal(["globex"], (await hosted.ListCompaniesAsync()).Select(c => c.Name));
        Assert.Equal("", (await hosted.FindUserAsync("alice"))!.Company);
        using var single = Directory();
        Assert.Empty(await single.ListCompaniesAsync());
        Assert.Equal("", (await single.FindUserAsync("gina"))!.Company);
    }

    [Fact]
    public async Task Address_lists_hold_the_users_their_filter_selects()
    {
        using var directory = Directory();
        var list = Assert.Single(await directory.ListAddressListsAsync());
        Assert.Equal("admins", list.Name);
        Assert.Equal(["alice"], list.Members);
    }

    [Fact]
    public async Task The_user_search_filter_narrows_who_is_a_user()
    {
        using var directory = Directory(new Dictionary<string, string> { ["ldap_user_search_filter"] = "(kopanoAccount=1)" });
        Assert.Equal(["alice", "bob", "public"], (await directory.ListUsersAsync()).Select(u => u.Login));
        Assert.Null(await directory.FindUserAsync("gina"));
    }

    [Fact]
    public async Task The_propmap_adds_user_properties()
    {
        var map = Path.Combine(Path.GetTempPath(), "rookery-propmap-" + Guid.NewGuid().ToString("N") + ".cfg");
        await File.WriteAllTextAsync(map, "0x3A06001E = givenName\nPR_SURNAME = sn\n0x67B3101E = kopanoEnabledFeatures\n");
        try
        {
            using var directory = Directory(new Dictionary<string, string> { ["ldap_propmap"] = map });
            var alice = (await directory.FindUserAsync("alice"))!;
            Assert.Equal(["Alice"], alice.Properties["0x3A06001E"]);
            Assert.Equal(["Liddell"], alice.Properties["PR_SURNAME"]);
            Assert.Equal(["imap"], alice.EnabledFeatures); // the original's tag names the features property
        }
        finally
        {
            File.Delete(map);
        }
    }

    [Fact]
    public async Task A_server_that_does_not_answer_is_skipped_for_the_next_uri()
    {
        using var directory = Directory(uri: $"ldap://127.0.0.1:{Slapd.FreePort()}/ {fixture.Server.Uri}");
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", TestLdif.AlicePassword)).Outcome);
        Assert.Equal("bob", (await directory.FindByAddressAsync("bob@example.com"))?.Login);
    }

    [Fact]
    public async Task Lookups_are_cached_until_they_expire()
    {
        var time = new ManualTime();
        var settings = TestLdif.Settings(fixture.Server.Uri, overrides: new Dictionary<string, string> { ["ldap_cache_timeout"] = "60" });
        using var directory = new LdapUserDirectory(settings, time);
        var first = await directory.FindUserAsync("alice");
        Assert.Same(first, await directory.FindUserAsync("alice"));
        time.Advance(TimeSpan.FromSeconds(61));
        var again = await directory.FindUserAsync("alice");
        Assert.NotSame(first, again);
        Assert.Equal(first!.Login, again!.Login);
    }

    [Fact]
    public void Container_environment_names_set_the_ldap_options()
    {
        var settings = TestLdif.Settings("ldap://ignored:389/", environment: new Dictionary<string, string>
        {
            ["LDAP_SEARCH_BASE"] = "dc=kopano,dc=com",
            ["LDAP_USER_TYPE_ATTRIBUTE_VALUE"] = "kopano-user",
            ["LDAP_GROUP_TYPE_ATTRIBUTE_VALUE"] = "kopano-group",
            ["LDAP_GROUPMEMBERS_ATTRIBUTE_TYPE"] = "dn",
            ["LDAP_USER_SEARCH_FILTER"] = "(kopanoAccount=1)",
        });
        // Overrides (the test's own values) still win over the environment for what they set.
        Assert.Equal(("dc=example,dc=com", "kopano-user", "kopano-group", true, "(kopanoAccount=1)"),
            (settings.SearchBase, settings.UserType, settings.GroupType, settings.GroupMembersAreDns, settings.UserFilter));
        var defaults = ConfigLoader.LoadFile(ConfigSchema.Ldap, "/nonexistent/ldap.cfg", new Dictionary<string, string>
        {
            ["LDAP_URI"] = "ldap://auth:389/ ldaps://auth2",
            ["LDAP_BIND_USER"] = "cn=admin,dc=example,dc=com",
            ["LDAP_BIND_PASSWD"] = "pw",
        }, new Dictionary<string, string>());
        var fromEnvironment = LdapSettings.From(defaults, hosted: false);
        Assert.Equal(["ldap://auth:389", "ldaps://auth2:636"], fromEnvironment.Connection.Servers.Select(s => s.ToString()));
        Assert.Equal(("cn=admin,dc=example,dc=com", "pw"), (fromEnvironment.Connection.BindDn, fromEnvironment.Connection.BindPassword));
        Assert.Equal(("dc=kopano,dc=com", "posixAccount", "posixGroup", false), (fromEnvironment.SearchBase, fromEnvironment.UserType, fromEnvironment.GroupType, fromEnvironment.GroupMembersAreDns));
    }

    sealed class ManualTime : TimeProvider
    {
        DateTimeOffset now = DateTimeOffset.UnixEpoch.AddYears(56);
        public override DateTimeOffset GetUtcNow() => now;
        public void Advance(TimeSpan by) => now += by;
    }
}
