using System.Text.Json;
using Rookery.Store.Tests;

namespace Rookery.Tests;

/// <summary>
/// rookery admin with user_plugin = ldap, as an administrator sets it up: server.cfg and ldap.cfg in
/// the configuration directory, the directory (TestLdif) on a throwaway slapd reached over ldaps://
/// with the test CA in ldap_tls_cacert.
/// </summary>
public sealed class LdapAdminTests(SlapdTlsFixture fixture) : IClassFixture<SlapdTlsFixture>, IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    void Configure(string caFile)
    {
        cli.WriteConfig("server.cfg", "user_plugin = ldap\n");
        cli.WriteConfig("ldap.cfg", $"""
            ldap_uri = ldaps://127.0.0.1:{Cli.FreePort()}/ {fixture.Server.LdapsUri}
            ldap_tls_cacert = {caFile}
            ldap_bind_user = {Slapd.ReaderDn}
            ldap_bind_passwd = {Slapd.ReaderPassword}
            ldap_search_base = {Slapd.Suffix}
            ldap_network_timeout = 5

            """);
    }

    [Fact]
    public async Task List_users_shows_the_directory_users_hidden_ones_with_the_flag()
    {
        Configure(fixture.Server.CaFile);
        var json = await cli.RunAsync("admin", "--list-users", "--json");
        Assert.True(json.ExitCode == 0, json.Error);
        var users = JsonDocument.Parse(json.Out).RootElement.EnumerateArray()
            .ToDictionary(u => u.GetProperty("login").GetString()!, u => (Name: u.GetProperty("full_name").GetString(), Hidden: u.GetProperty("hidden").GetBoolean()));
        Assert.Equal(["alice", "bob", "gina", "hidden", "public", "shared"], users.Keys.Order());
        Assert.Equal(("Alice Liddell", false), users["alice"]);
        Assert.True(users["hidden"].Hidden);
        Assert.DoesNotContain("Carol External", users.Values.Select(u => u.Name)); // a contact, not a user

        var table = await cli.RunAsync("admin", "-l");
        Assert.True(table.ExitCode == 0, table.Error);
        Assert.Contains("alice", table.Out, StringComparison.Ordinal);
        Assert.Contains("Hidden", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_groups_shows_the_directory_groups_with_their_members()
    {
        Configure(fixture.Server.CaFile);
        var json = await cli.RunAsync("admin", "--list-groups", "--json");
        Assert.True(json.ExitCode == 0, json.Error);
        var groups = JsonDocument.Parse(json.Out).RootElement.EnumerateArray()
            .ToDictionary(g => g.GetProperty("name").GetString()!, g => g);
        Assert.Equal(["alice", "bob"], groups["staff"].GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        Assert.False(groups["announce"].GetProperty("security").GetBoolean());
        Assert.True(groups["secret-club"].GetProperty("hidden").GetBoolean());
        Assert.Contains("everyone", groups.Keys); // a dynamic group

        var table = await cli.RunAsync("admin", "-L");
        Assert.True(table.ExitCode == 0, table.Error);
        Assert.Contains("staff", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_show_reads_one_directory_user()
    {
        Configure(fixture.Server.CaFile);
        var show = await cli.RunAsync("admin", "user", "show", "alice", "--json");
        Assert.True(show.ExitCode == 0, show.Error);
        var alice = JsonDocument.Parse(show.Out).RootElement.GetProperty("user");
        Assert.Equal("ldap", alice.GetProperty("source").GetString());
        Assert.True(alice.GetProperty("is_admin").GetBoolean());
        Assert.Equal(["a.liddell@example.com", "rabbit-hole@example.com"], alice.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(1, (await cli.RunAsync("admin", "user", "show", "nobody")).ExitCode);
    }

    [Fact]
    public async Task An_untrusted_server_certificate_makes_the_directory_unavailable_with_the_reason()
    {
        var otherCa = Path.Combine(cli.Root, "other-ca.pem");
        Slapd.WriteCa(otherCa, "Some other CA").Dispose();
        Configure(otherCa);
        var result = await cli.RunAsync("admin", "--list-users");
        Assert.Equal(69, result.ExitCode); // EX_UNAVAILABLE
        Assert.Contains("the user directory is unavailable", result.Error, StringComparison.Ordinal);
        Assert.Contains("is not signed by a CA in ldap_tls_cacert", result.Error, StringComparison.Ordinal);
    }
}
