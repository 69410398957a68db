using System.Diagnostics;
using System.Text;

namespace Rookery.Tests;

/// <summary>The POP3 gateway of <c>rookery serve</c> with real clients: curl, openssl s_client and fetchmail, over POP3 (STLS) and POP3S.</summary>
public sealed class Pop3ServeTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Curl_openssl_and_fetchmail_download_over_pop3_and_pop3s()
    {
        var pop3 = Cli.FreePort();
        var pop3s = Cli.FreePort();
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.Environment["POP3_LISTEN"] = $"127.0.0.1:{pop3}";
        cli.Environment["POP3S_LISTEN"] = $"127.0.0.1:{pop3s}";
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "secret", "--email", "alice@example.com", "--enable-feature", "pop3")).ExitCode);
        foreach (var subject in new[] { "first", "second", "third" })
        {
            var delivered = await cli.RunWithInputAsync(Encoding.ASCII.GetBytes($"Subject: {subject}\nFrom: a@example.net\n\n.{subject} body\n"), "dagent", "alice");
            Assert.True(delivered.ExitCode == 0, delivered.Error);
        }

        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(server);
            var list = await Tools.RunAsync("curl", ["-s", "-S", "--url", $"pop3://127.0.0.1:{pop3}/", "-u", "alice:secret"]);
            Assert.True(list.ExitCode == 0, list.Error);
            Assert.Equal(3, list.Out.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);

            var retr = await Tools.RunAsync("curl", ["-s", "-S", "-k", "--url", $"pop3s://127.0.0.1:{pop3s}/2", "-u", "alice:secret"]);
            Assert.True(retr.ExitCode == 0, retr.Error);
            Assert.True(retr.Out.Contains("Subject: second\r\nFrom: a@example.net\r\n\r\n.second body\r\n", StringComparison.Ordinal), retr.Out);

            // openssl s_client completes the handshake on POP3S and after STLS on POP3, and the session goes on over TLS
            var implicitTls = await Tools.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{pop3s}", "-quiet"], "CAPA\r\nUSER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n");
            Assert.True(implicitTls.ExitCode == 0, implicitTls.Error);
            Assert.StartsWith("+OK ", implicitTls.Out);
            Assert.DoesNotContain("STLS", implicitTls.Out); // already encrypted
            Assert.Matches(@"\r\n\+OK 3 \d+\r\n", implicitTls.Out);
            Assert.Contains("signing off", implicitTls.Out);
            var stls = await Tools.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{pop3}", "-starttls", "pop3", "-quiet"], "CAPA\r\nUSER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n");
            Assert.True(stls.ExitCode == 0, stls.Error);
            Assert.StartsWith("+OK Capability list follows", stls.Out); // openssl read the greeting and the STLS answer itself
            Assert.DoesNotContain("STLS", stls.Out);
            Assert.Matches(@"\r\n\+OK 3 \d+\r\n", stls.Out);
            Assert.Contains("signing off", stls.Out);

            // fetchmail over POP3S keeping the mail, then over POP3 with STLS deleting it
            var mbox = Path.Combine(cli.Root, "fetched.mbox");
            var rc = Path.Combine(cli.Root, "fetchmailrc");
            await File.WriteAllTextAsync(rc, $"""
                poll 127.0.0.1 with proto POP3 service {pop3s} user "alice" there with password "secret" is "root" here options ssl no sslcertck keep mda "/bin/sh -c 'cat >> {mbox}'"
                """);
            File.SetUnixFileMode(rc, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var keep = await Tools.RunAsync("fetchmail", ["-f", rc, "--nosyslog", "-N", "--norewrite", "-a"]);
            Assert.True(keep.ExitCode == 0, keep.Out + keep.Error);
            Assert.Equal(3, File.ReadAllText(mbox).Split("Return-Path:").Length - 1);

            await File.WriteAllTextAsync(rc, $"""
                poll 127.0.0.1 with proto POP3 service {pop3} user "alice" there with password "secret" is "root" here options sslproto 'tls1.2+' no sslcertck nokeep mda "/bin/sh -c 'cat >> {mbox}'"
                """);
            var delete = await Tools.RunAsync("fetchmail", ["-f", rc, "--nosyslog", "-N", "--norewrite", "-a", "-v"]);
            Assert.True(delete.ExitCode == 0, delete.Out + delete.Error);
            Assert.Contains("POP3> STLS", delete.Out + delete.Error); // fetchmail upgrades to TLS before it logs in
            Assert.Equal(6, File.ReadAllText(mbox).Split("Return-Path:").Length - 1);

            var empty = await Tools.RunAsync("curl", ["-s", "-S", "--url", $"pop3://127.0.0.1:{pop3}/", "-u", "alice:secret"]);
            Assert.True(empty.ExitCode == 0, empty.Error);
            Assert.Equal("", empty.Out.Trim()); // no messages left: the deletions were made at QUIT
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Pop3_line_length_error_limit_and_login_timeout_come_from_gateway_cfg()
    {
        var pop3 = Cli.FreePort();
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.WriteConfig("gateway.cfg", "pop3_max_line_length = 600\npop3_max_bad_commands = 3\npop3_login_timeout = 5\n");
        cli.Environment["POP3_LISTEN"] = $"127.0.0.1:{pop3}";
        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(server);
            using var silent = await LineClient.ConnectAsync(pop3);
            Assert.StartsWith("+OK", silent.Greeting);
            var connectedAt = Stopwatch.StartNew();
            using (var talker = await LineClient.ConnectAsync(pop3))
            {
                Assert.StartsWith("+OK", talker.Greeting);
                // a line up to the limit is read as a command; one over it is refused whole and not counted as a command
                await talker.WriteLineAsync("NOOP " + new string('x', 590));
                Assert.Equal("-ERR Unknown command, or log in first", await talker.ReadLineAsync());
                await talker.WriteLineAsync("NOOP " + new string('x', 700));
                Assert.Equal("-ERR Line too long", await talker.ReadLineAsync());
                await talker.WriteLineAsync("CAPA");
                Assert.StartsWith("+OK", await talker.ReadLineAsync());
                while (await talker.ReadLineAsync() is { } line && line != ".") { }
                // the third failed command closes the connection
                await talker.WriteLineAsync("FROB");
                Assert.Equal("-ERR Unknown command, or log in first", await talker.ReadLineAsync());
                await talker.WriteLineAsync("PASS secret");
                Assert.StartsWith("-ERR", await talker.ReadLineAsync());
                Assert.Equal("-ERR Too many errors, closing connection", await talker.ReadLineAsync());
                Assert.Null(await talker.ReadLineAsync());
            }

            // the client that never logs in is dropped after pop3_login_timeout, not the 10 minutes a logged-in one gets
            Assert.Equal("-ERR Idle for too long, closing connection", await silent.ReadLineAsync());
            Assert.Null(await silent.ReadLineAsync());
            Assert.InRange(connectedAt.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(30));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }
}
