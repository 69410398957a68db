using System.Diagnostics;
using System.Text;

namespace Rookery.Tests;

/// <summary>The IMAP gateway of <c>rookery serve</c> with real clients: curl, openssl s_client.</summary>
public sealed class ImapServeTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    /// <summary>Puts the health and LMTP listeners on free ports, out of the IMAP tests' way.</summary>
    void ListenElsewhere()
    {
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{Cli.FreePort()}\n");
    }

    /// <summary>alice / secret, with IMAP enabled.</summary>
    async Task AddAliceAsync() =>
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "secret", "--email", "alice@example.com", "--enable-feature", "imap")).ExitCode);

    [Fact]
    public async Task Curl_and_openssl_talk_imap_imaps_and_starttls()
    {
        var imap = Cli.FreePort();
        var imaps = Cli.FreePort();
        ListenElsewhere();
        cli.Environment["IMAP_LISTEN"] = $"127.0.0.1:{imap}";
        cli.Environment["IMAPS_LISTEN"] = $"127.0.0.1:{imaps}";
        await AddAliceAsync();
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
            Assert.True(implicitTls.ExitCode == 0, implicitTls.Error); // the session ends with TLS's close_notify, not a bare EOF
            Assert.Contains("* OK [CAPABILITY IMAP4rev1", implicitTls.Out);
            Assert.Contains("b OK LOGOUT completed", implicitTls.Out);
            Assert.DoesNotContain("STARTTLS", implicitTls.Out);

            var startTls = await Tools.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{imap}", "-starttls", "imap", "-quiet"], "a CAPABILITY\r\nb LOGIN alice secret\r\nc LOGOUT\r\n");
            Assert.True(startTls.ExitCode == 0, startTls.Error);
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
    public async Task Connections_per_address_are_limited_across_imap_and_pop3_a_client_that_never_logs_in_is_logged_out_and_bad_commands_are_counted()
    {
        var imap = Cli.FreePort();
        var pop3 = Cli.FreePort();
        ListenElsewhere();
        cli.WriteConfig("gateway.cfg", "imap_max_connections_per_address = 2\nimap_login_timeout = 5\nimap_max_bad_commands = 2\n");
        cli.Environment["IMAP_LISTEN"] = $"127.0.0.1:{imap}";
        cli.Environment["POP3_LISTEN"] = $"127.0.0.1:{pop3}";
        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(server);
            var silent = await LineClient.ConnectAsync(imap);
            Assert.StartsWith("* OK [CAPABILITY", silent.Greeting);
            var connectedAt = Stopwatch.StartNew();
            var mail = await LineClient.ConnectAsync(pop3);
            Assert.StartsWith("+OK", mail.Greeting);
            // a third from the same address, by either protocol, is turned away
            var refused = await LineClient.ConnectAsync(imap);
            Assert.Equal("* BYE Too many connections from your address", refused.Greeting);
            Assert.Null(await refused.ReadLineAsync());
            var refusedPop3 = await LineClient.ConnectAsync(pop3);
            Assert.Equal("-ERR [SYS/TEMP] Too many connections from your address", refusedPop3.Greeting);

            // the IMAP client that never logs in is logged out after imap_login_timeout, and its place is free again
            Assert.Equal("* BYE Autologout; idle for too long", await silent.ReadLineAsync());
            Assert.Null(await silent.ReadLineAsync());
            Assert.InRange(connectedAt.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(30));
            silent.Dispose();
            var again = await LineClient.ConnectAsync(imap);
            for (var attempt = 0; again.Greeting.StartsWith("* BYE", StringComparison.Ordinal) && attempt < 50; attempt++)
            {
                // the server may not have counted the closed connection out yet
                again.Dispose();
                await Task.Delay(100);
                again = await LineClient.ConnectAsync(imap);
            }
            Assert.StartsWith("* OK [CAPABILITY", again.Greeting);

            // imap_max_bad_commands = 2: the second BAD ends the connection
            await again.WriteLineAsync("a1 FROBNICATE");
            Assert.StartsWith("a1 BAD", await again.ReadLineAsync());
            await again.WriteLineAsync("a2 NOOP");
            Assert.StartsWith("a2 OK", await again.ReadLineAsync());
            await again.WriteLineAsync("a3 FROBNICATE");
            Assert.StartsWith("a3 BAD", await again.ReadLineAsync());
            Assert.Equal("* BYE Too many invalid commands", await again.ReadLineAsync());
            Assert.Null(await again.ReadLineAsync());
            foreach (var client in new[] { mail, refused, refusedPop3, again })
                client.Dispose();
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Login_delays_and_throttling_follow_server_cfg()
    {
        var imap = Cli.FreePort();
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\nauth_failure_delay = 1\nauth_max_failures = 2\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.Environment["IMAP_LISTEN"] = $"127.0.0.1:{imap}";
        await AddAliceAsync();
        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(server);
            using var client = await LineClient.ConnectAsync(imap);
            Assert.StartsWith("* OK", client.Greeting);
            var watch = Stopwatch.StartNew();
            await client.WriteLineAsync("a1 LOGIN alice wrong");
            Assert.Equal("a1 NO [AUTHENTICATIONFAILED] Invalid credentials", await client.ReadLineAsync());
            Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"the failure was answered after {watch.Elapsed}");
            await client.WriteLineAsync("a2 LOGIN alice wrong");
            Assert.Equal("a2 NO [AUTHENTICATIONFAILED] Invalid credentials", await client.ReadLineAsync());
            Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2.8), $"two failures were answered after {watch.Elapsed}"); // 1 s, then 2 s
            // auth_max_failures = 2 reached: the right password is refused too, without being checked
            await client.WriteLineAsync("a3 LOGIN alice secret");
            Assert.Equal("a3 NO [AUTHENTICATIONFAILED] Invalid credentials", await client.ReadLineAsync());
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
        ListenElsewhere();
        cli.Environment["IMAP_LISTEN"] = $"*:{imap}";
        await AddAliceAsync();
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

    /// <summary>
    /// SIGTERM with a session in IDLE, one halfway through an APPEND literal and one that never
    /// logged in: each gets a BYE at once, the server exits cleanly, and the unfinished APPEND
    /// leaves nothing behind.
    /// </summary>
    [Fact]
    public async Task Stopping_the_server_closes_idle_and_unfinished_sessions()
    {
        var imap = Cli.FreePort();
        ListenElsewhere();
        cli.Environment["IMAP_LISTEN"] = $"127.0.0.1:{imap}";
        await AddAliceAsync();
        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(server);
            using var idle = await RawImap.ConnectAsync(imap);
            await idle.SendAsync("a LOGIN alice secret\r\nb SELECT INBOX\r\nc IDLE\r\n");
            await idle.ReadUntilAsync("+ ");
            using var append = await RawImap.ConnectAsync(imap);
            await append.SendAsync("a LOGIN alice secret\r\nb APPEND INBOX {100}\r\n");
            await append.ReadUntilAsync("+ ");
            await append.SendAsync("only ten..");
            using var fresh = await RawImap.ConnectAsync(imap);

            var stopped = Stopwatch.StartNew();
            var kill = await Tools.RunAsync("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.Equal(0, kill.ExitCode);
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
                await server.WaitForExitAsync(timeout.Token);
            output.WriteLine($"stopped in {stopped.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal(0, server.ExitCode); // not killed by the signal
            Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(10), "the sessions held up the stop");
            foreach (var session in new[] { idle, append, fresh })
            {
                var (closed, last) = await session.ReadToEndAsync();
                Assert.True(closed, "a connection stayed open after the server stopped");
                Assert.Contains("* BYE Server shutting down\r\n", last);
            }
        }
        finally
        {
            if (!server.HasExited)
                server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }

        using var again = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(again);
            using var check = await RawImap.ConnectAsync(imap);
            await check.SendAsync("a LOGIN alice secret\r\nb STATUS INBOX (MESSAGES)\r\n");
            Assert.Contains("(MESSAGES 0)", await check.ReadUntilAsync("b OK"));
        }
        finally
        {
            again.Kill(entireProcessTree: true);
            await again.WaitForExitAsync();
        }
    }

    /// <summary>A bare IMAP connection for tests that need to stop halfway through a command.</summary>
    sealed class RawImap : IDisposable
    {
        readonly System.Net.Sockets.TcpClient client = new();
        readonly StringBuilder received = new();
        System.Net.Sockets.NetworkStream stream = null!;

        public static async Task<RawImap> ConnectAsync(int port)
        {
            var raw = new RawImap();
            await raw.client.ConnectAsync(System.Net.IPAddress.Loopback, port);
            raw.stream = raw.client.GetStream();
            await raw.ReadUntilAsync("* OK");
            return raw;
        }

        public Task SendAsync(string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

        /// <summary>Reads until a line starts with <paramref name="prefix"/>; returns everything read so far.</summary>
        public async Task<string> ReadUntilAsync(string prefix)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var buffer = new byte[4096];
            while (!received.ToString().Split("\r\n").Any(l => l.StartsWith(prefix, StringComparison.Ordinal)))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                    throw new IOException($"closed before a line starting with {prefix}; got {received}");
                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            return received.ToString();
        }

        /// <summary>Reads until the server closes the connection: whether it did (within 5 s), and what it sent after the last read.</summary>
        public async Task<(bool Closed, string Text)> ReadToEndAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var buffer = new byte[4096];
            var text = new StringBuilder();
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
                    text.Append(Encoding.ASCII.GetString(buffer, 0, read));
                return (true, text.ToString());
            }
            catch (IOException)
            {
                return (true, text.ToString()); // reset
            }
            catch (OperationCanceledException)
            {
                return (false, text.ToString());
            }
        }

        public void Dispose() => client.Dispose();
    }
}
