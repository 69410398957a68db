using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Rookery.Store.Tests;

namespace Rookery.Tests;

/// <summary>
/// A running <c>rookery serve</c> with user_plugin = ldap re-reads ldap.cfg on <c>rookery admin
/// reload</c> and on SIGHUP: a changed mapping decides the next IMAP login, without a restart; a
/// user_plugin change is reported as needing one; a broken file changes nothing.
/// </summary>
public sealed class ReloadTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime, IAsyncDisposable
{
    readonly Cli cli = new();
    Slapd? slapd;

    // xUnit 2 calls IAsyncLifetime, not IAsyncDisposable, on a test class: without it slapd outlived the test.
    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (slapd is not null)
            await slapd.DisposeAsync();
        slapd = null;
        cli.Dispose();
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    string LdapCfg(string extra) => $"""
        ldap_uri = {slapd!.Uri}
        ldap_search_base = {Slapd.Suffix}
        ldap_bind_user = {Slapd.ReaderDn}
        ldap_bind_passwd = {Slapd.ReaderPassword}
        ldap_network_timeout = 5
        ldap_cache_timeout = 600
        {extra}
        """;

    string ServerCfg(string userPlugin, int logLevel) =>
        $"server_listen = 127.0.0.1:{serverPort}\nuser_plugin = {userPlugin}\nuser_plugin_config = {Path.Combine(cli.ConfigDirectory, "ldap.cfg")}\nlog_level = {logLevel}\n";

    readonly int serverPort = Cli.FreePort();

    [Fact]
    public async Task Reload_applies_a_changed_ldap_mapping_reports_a_user_plugin_change_and_survives_a_broken_file()
    {
        slapd = await Slapd.StartAsync(TestLdif.Entries);
        var imap = Cli.FreePort();
        cli.WriteConfig("ldap.cfg", LdapCfg(""));
        cli.WriteConfig("server.cfg", ServerCfg("ldap", 3));
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.Environment["IMAP_LISTEN"] = $"127.0.0.1:{imap}";

        var notRunning = await cli.RunAsync("admin", "reload");
        Assert.Equal(1, notRunning.ExitCode);
        Assert.Contains("no running server", notRunning.Error);

        using var server = Process.Start(cli.StartInfo("serve"))!;
        var log = new StringBuilder();
        try
        {
            await Cli.WaitForBannerAsync(server);
            _ = server.StandardError.ReadToEndAsync();
            _ = Task.Run(async () =>
            {
                while (await server.StandardOutput.ReadLineAsync() is { } line)
                    lock (log)
                        log.AppendLine(line);
            });
            Assert.Equal(server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(cli.DataDirectory, "rookery.pid")).Trim());

            Assert.Equal("OK", await LoginAsync(imap, "alice", TestLdif.AlicePassword));
            Assert.Equal("NO", await LoginAsync(imap, "alice@example.com", TestLdif.AlicePassword));

            // Logins by e-mail address: nothing changes until the reload.
            cli.WriteConfig("ldap.cfg", LdapCfg("ldap_loginname_attribute = mail"));
            Assert.Equal("OK", await LoginAsync(imap, "alice", TestLdif.AlicePassword));
            var reloaded = await cli.RunAsync("admin", "reload");
            Assert.True(reloaded.ExitCode == 0, reloaded.Error);
            Assert.Equal("reloaded: ldap.cfg: ldap_loginname_attribute changed; LDAP cache cleared", reloaded.Out.Trim());
            Assert.Equal("", reloaded.Error);
            Assert.Equal("NO", await LoginAsync(imap, "alice", TestLdif.AlicePassword));
            Assert.Equal("OK", await LoginAsync(imap, "alice@example.com", TestLdif.AlicePassword));

            // Another user plugin needs a restart: said so, and ldap stays; log_level is applied.
            cli.WriteConfig("server.cfg", ServerCfg("db", 5));
            var pluginChange = await cli.RunAsync("admin", "reload");
            Assert.True(pluginChange.ExitCode == 0, pluginChange.Error);
            Assert.Contains("log_level 3 -> 5", pluginChange.Out);
            Assert.Contains("restart needed: user_plugin changed from ldap to db: restart rookery to change the user plugin (still using ldap)", pluginChange.Error);
            Assert.Equal("OK", await LoginAsync(imap, "alice@example.com", TestLdif.AlicePassword));

            // A file that does not load changes nothing.
            cli.WriteConfig("server.cfg", ServerCfg("ldap", 5));
            cli.WriteConfig("ldap.cfg", LdapCfg("ldap_network_timeout = soon"));
            var broken = await cli.RunAsync("admin", "reload");
            Assert.Equal(1, broken.ExitCode);
            Assert.Contains("reload failed, the server runs on unchanged", broken.Error);
            Assert.Contains("ldap_network_timeout", broken.Error);
            Assert.Equal("OK", await LoginAsync(imap, "alice@example.com", TestLdif.AlicePassword));

            // kill -HUP does the same as admin reload (systemctl reload sends it).
            cli.WriteConfig("ldap.cfg", LdapCfg(""));
            int logged;
            lock (log)
                logged = log.Length; // the first reload logged the same words: look only at what comes after the signal
            var hup = await Tools.RunAsync("kill", ["-HUP", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.Equal(0, hup.ExitCode);
            await WaitForAsync(() => { lock (log) return log.ToString(logged, log.Length - logged).Contains("ldap.cfg: ldap_loginname_attribute changed", StringComparison.Ordinal); });
            Assert.False(server.HasExited);
            Assert.Equal("OK", await LoginAsync(imap, "alice", TestLdif.AlicePassword));
            Assert.Equal("NO", await LoginAsync(imap, "alice@example.com", TestLdif.AlicePassword));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            lock (log)
                output.WriteLine(log.ToString());
        }
    }

    static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50);
        }
    }

    /// <summary>One IMAP LOGIN on a new connection: the tagged reply's status (OK, NO, BAD).</summary>
    static async Task<string> LoginAsync(int port, string login, string password)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await reader.ReadLineAsync(); // greeting
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"a LOGIN \"{login}\" \"{password}\"\r\n"));
        while (await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("a ", StringComparison.Ordinal))
                return line.Split(' ')[1];
        throw new InvalidOperationException("connection closed");
    }
}
