using Rookery.Directory;
using Rookery.Directory.Ldap;
using Rookery.Store;
using Rookery.Store.Sql;
using Rookery.Store.Tests;
using Rookery.Testing;

namespace Rookery.Imap.Tests;

/// <summary>IMAP logins with user_plugin = ldap when the directory goes away and comes back.</summary>
public sealed class LdapLoginTests : IAsyncLifetime, IDisposable
{
    Slapd slapd = null!;
    TestDatabase test = null!;
    LdapUserDirectory directory = null!;
    ImapServices services = null!;

    public async Task InitializeAsync()
    {
        slapd = await Slapd.StartAsync(TestLdif.Entries);
        test = await TestDatabase.CreateAsync();
        directory = new LdapUserDirectory(TestLdif.Settings(slapd.Uri), TimeProvider.System);
        var store = new SqlMailStore(test.Database, test.CreateBlobs(), new AccountQuotaPolicy(directory, QuotaLimits.None), new ChangeNotifier());
        var quota = new AccountQuotaPolicy(directory, QuotaLimits.None);
        services = new ImapServices(store, new UserStores(store, directory, "en_US.UTF-8"),
            new Authenticator(directory, [], new AuthenticationLimits { FailureDelay = TimeSpan.FromMilliseconds(10), MaxFailureDelay = TimeSpan.FromMilliseconds(50) }, TimeProvider.System),
            new ImapOptions { HostName = "imap.test" }, new Common.ConnectionCounter(0), quota,
            new FolderAccess(store, new SqlFolderGrants(test.Database), FolderRights.ReadItems | FolderRights.CreateItems | FolderRights.FolderVisible), directory);
    }

    public void Dispose() => directory?.Dispose();

    public async Task DisposeAsync()
    {
        await test.DisposeAsync();
        await slapd.DisposeAsync();
    }

    Task Run(string script) => Transcript.RunAsync(async pipe =>
    {
        using var session = new ImapSession(pipe, services, new ImapConnection("127.0.0.1", Secure: false, true));
        await session.RunAsync(CancellationToken.None);
    }, script);

    [Fact]
    public async Task With_the_directory_down_login_gets_no_unavailable_and_works_again_once_it_is_back()
    {
        await slapd.StopAsync();
        await Run($"""
            S: * OK *
            C: a LOGIN alice {TestLdif.AlicePassword}
            S: a NO [UNAVAILABLE] *
            C: b LOGOUT
            S: * BYE*
            S: b OK*
            """);

        await slapd.RestartAsync();
        await Run($"""
            S: * OK *
            C: a LOGIN alice {TestLdif.AlicePassword}
            S: a OK*
            C: b STATUS INBOX (MESSAGES)
            S: * STATUS INBOX (MESSAGES 0)
            S: b OK*
            C: c LOGOUT
            S: * BYE*
            S: c OK*
            """);
    }
}
