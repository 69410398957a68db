using System.Diagnostics;
using System.Text;

namespace Rookery.Tests;

/// <summary>The IMAP gateway of <c>rookery serve</c> with real clients: curl, openssl s_client.</summary>
public sealed class ImapServeTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Curl_and_openssl_talk_imap_imaps_and_starttls()
    {
        var imap = Cli.FreePort();
        var imaps = Cli.FreePort();
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.Environment["IMAP_LISTEN"] = $"127.0.0.1:{imap}";
        cli.Environment["IMAPS_LISTEN"] = $"127.0.0.1:{imaps}";
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "secret", "--email", "alice@example.com", "--enable-feature", "imap")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "bob", "--password", "secret", "--email", "bob@example.com")).ExitCode);
        var delivered = await cli.RunWithInputAsync(Encoding.ASCII.GetBytes("Subject: over imap\nFrom: a@example.net\n\nhello from the store\n"), "dagent", "-f", "a@example.net", "alice");
        Assert.True(delivered.ExitCode == 0, delivered.Error);

        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            var banner = await Cli.WaitForBannerAsync(server);
            Assert.Contains(banner, l => l.Contains($"imaps          127.0.0.1:{imaps}", StringComparison.Ordinal));

            var list = await Tools.RunAsync("curl", ["-s", "-S", "--url", $"imap://127.0.0.1:{imap}/", "-u", "alice:secret"]);
            Assert.True(list.ExitCode == 0, list.Error);
            Assert.Contains("* LIST (\\HasNoChildren) \"/\" INBOX", list.Out);
            Assert.Contains("\"Sent Items\"", list.Out);

            var fetch = await Tools.RunAsync("curl", ["-s", "-S", "-k", "--url", $"imaps://127.0.0.1:{imaps}/INBOX;UID=1", "-u", "alice:secret"]);
            Assert.True(fetch.ExitCode == 0, fetch.Error);
            Assert.StartsWith("Return-Path: <a@example.net>\r\nDelivered-To: alice@example.com\r\nSubject: over imap\r\n", fetch.Out);
            Assert.Contains("hello from the store", fetch.Out);

            // IMAP is off for bob: disabled_features lists it by default
            var refused = await Tools.RunAsync("curl", ["-s", "-S", "--url", $"imap://127.0.0.1:{imap}/", "-u", "bob:secret"]);
            Assert.NotEqual(0, refused.ExitCode);

            var implicitTls = await Tools.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{imaps}", "-quiet"], "a CAPABILITY\r\nb LOGOUT\r\n");
            Assert.Contains("* OK [CAPABILITY IMAP4rev1", implicitTls.Out);
            Assert.Contains("b OK LOGOUT completed", implicitTls.Out);
            Assert.DoesNotContain("STARTTLS", implicitTls.Out);

            var startTls = await Tools.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{imap}", "-starttls", "imap", "-quiet"], "a CAPABILITY\r\nb LOGIN alice secret\r\nc LOGOUT\r\n");
            Assert.Contains("b OK [CAPABILITY", startTls.Out);
            Assert.Contains("c OK LOGOUT completed", startTls.Out);
            Assert.DoesNotContain("STARTTLS", startTls.Out.Split('\n').Single(l => l.StartsWith("* CAPABILITY", StringComparison.Ordinal)));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Passwords_are_refused_before_starttls_on_a_non_loopback_address()
    {
        var address = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a));
        if (address is null)
        {
            output.WriteLine("This machine has no non-loopback IPv4 address; nothing to test here.");
            return;
        }
        var imap = Cli.FreePort();
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.Environment["IMAP_LISTEN"] = $"*:{imap}";
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "secret", "--email", "alice@example.com", "--enable-feature", "imap")).ExitCode);
        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(server);
            var url = $"imap://{address}:{imap}/";
            var plain = await Tools.RunAsync("curl", ["-s", "-S", "-v", "--url", url, "-u", "alice:secret"]);
            Assert.NotEqual(0, plain.ExitCode);
            Assert.Contains("LOGINDISABLED", plain.Error);
            var tls = await Tools.RunAsync("curl", ["-s", "-S", "-k", "--ssl-reqd", "--url", url, "-u", "alice:secret"]);
            Assert.True(tls.ExitCode == 0, tls.Error);
            Assert.Contains("INBOX", tls.Out);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }
}
