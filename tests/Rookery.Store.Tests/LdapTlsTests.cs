using System.Diagnostics;
using Rookery.Directory;
using Rookery.Directory.Ldap;

namespace Rookery.Store.Tests;

/// <summary>
/// ldap_uri over ldaps://, ldap:// with ldap_starttls and ldapi://, against a slapd that refuses binds
/// on a connection without encryption (olcSecurity ssf=1; the ldapi socket counts as local and secure).
/// </summary>
public sealed class LdapTlsTests(SlapdTlsFixture fixture) : IClassFixture<SlapdTlsFixture>
{
    LdapUserDirectory Directory(string uri, string? caFile = null, bool startTls = false) =>
        new(TestLdif.Settings(uri, overrides: new Dictionary<string, string>
        {
            ["ldap_tls_cacert"] = caFile ?? fixture.Server.CaFile,
            ["ldap_starttls"] = startTls ? "yes" : "no",
        }), TimeProvider.System);

    static async Task Logs_in_and_looks_up(LdapUserDirectory directory)
    {
        var login = await directory.AuthenticateAsync("alice", TestLdif.AlicePassword);
        Assert.Equal(AuthenticationOutcome.Success, login.Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("alice", "wrong")).Outcome);
        Assert.Equal("bob", (await directory.FindByAddressAsync("bob@example.com"))?.Login);
        Assert.Contains("staff", (await directory.ListGroupsAsync()).Select(g => g.Name));
    }

    [Fact]
    public async Task Ldaps_with_the_ca_in_ldap_tls_cacert_logs_in_and_looks_up()
    {
        using var directory = Directory(fixture.Server.LdapsUri);
        await Logs_in_and_looks_up(directory);
    }

    [Fact]
    public async Task StartTls_on_an_ldap_uri_logs_in_and_looks_up()
    {
        using var directory = Directory(fixture.Server.Uri, startTls: true);
        await Logs_in_and_looks_up(directory);
    }

    [Fact]
    public async Task Without_StartTls_this_server_refuses_the_bind()
    {
        // The server's olcSecurity is what makes the StartTLS test mean something.
        using var directory = Directory(fixture.Server.Uri, startTls: false);
        var error = await Assert.ThrowsAsync<DirectoryUnavailableException>(() => directory.FindUserAsync("alice"));
        Assert.Contains(fixture.Server.Uri.TrimEnd('/'), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ldapi_socket_logs_in_and_looks_up()
    {
        using var directory = Directory(fixture.Server.LdapiUri);
        await Logs_in_and_looks_up(directory);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_certificate_from_a_ca_not_trusted_is_refused_at_once_with_the_reason(bool startTls)
    {
        var otherCa = Path.Combine(Path.GetTempPath(), "rookery-other-ca-" + Guid.NewGuid().ToString("N") + ".pem");
        Slapd.WriteCa(otherCa, "Some other CA").Dispose();
        try
        {
            using var directory = Directory(startTls ? fixture.Server.Uri : fixture.Server.LdapsUri, caFile: otherCa, startTls: startTls);
            var clock = Stopwatch.StartNew();
            var login = await directory.AuthenticateAsync("alice", TestLdif.AlicePassword);
            Assert.Equal(AuthenticationOutcome.Unavailable, login.Outcome); // not Failed: the password was never checked
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed}"); // ldap_network_timeout is 5 s
            Assert.Contains("certificate", login.Reason, StringComparison.Ordinal);
            Assert.Contains("ldap_tls_cacert", login.Reason, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(otherCa);
        }
    }

    [Fact]
    public async Task A_dead_ldaps_server_is_skipped_for_the_next_uri()
    {
        using var directory = Directory($"ldaps://127.0.0.1:{Slapd.FreePort()}/ {fixture.Server.LdapsUri}");
        await Logs_in_and_looks_up(directory);
    }

    [Fact]
    public void A_ca_file_that_does_not_exist_is_a_configuration_error()
    {
        var error = Assert.Throws<Rookery.Common.Configuration.ConfigException>(() => Directory(fixture.Server.LdapsUri, caFile: "/nonexistent/ca.pem"));
        Assert.Contains("ldap_tls_cacert", error.Message, StringComparison.Ordinal);
    }
}
