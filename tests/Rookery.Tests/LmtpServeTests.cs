using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Rookery.Tests;

public sealed class LmtpServeTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Serve_accepts_lmtp_on_tcp_and_unix_sockets_with_the_configured_permissions_and_delivers_into_the_store()
    {
        var http = Cli.FreePort();
        var lmtp = Cli.FreePort();
        var socket = Path.Combine(cli.Root, "run", "dagent.sock");
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{http}\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{lmtp} unix:{socket}\nlmtp_socket_mode = 0620\nlmtp_socket_group = mail\n");
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "pw", "--email", "alice@example.com")).ExitCode);

        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await Cli.WaitForBannerAsync(server);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite, File.GetUnixFileMode(socket));
            Assert.Equal(GroupId("mail"), await StatGroupAsync(socket));

            using (var tcp = new TcpClient())
            {
                await tcp.ConnectAsync("127.0.0.1", lmtp, timeout.Token);
                await DeliverAsync(tcp.GetStream(), "over tcp", timeout.Token);
            }
            using (var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                await unix.ConnectAsync(new UnixDomainSocketEndPoint(socket), timeout.Token);
                await DeliverAsync(new NetworkStream(unix), "over unix", timeout.Token);
            }
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }

        var show = await cli.RunAsync("admin", "user", "show", "alice", "--json");
        Assert.True(JsonDocument.Parse(show.Out).RootElement.GetProperty("store_size").GetInt64() > 100);
    }

    static string GroupId(string name) =>
        File.ReadLines("/etc/group").Select(l => l.Split(':')).First(f => f[0] == name)[2];

    static async Task<string> StatGroupAsync(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%g", path]) { RedirectStandardOutput = true })!;
        var output = await stat.StandardOutput.ReadToEndAsync();
        await stat.WaitForExitAsync();
        return output.Trim();
    }

    [Theory]
    [InlineData("lmtp_socket_mode = rw-rw----", "lmtp_socket_mode = rw-rw----: expected octal permissions")]
    [InlineData("lmtp_socket_group = no-such-group-here", "lmtp_socket_group = no-such-group-here: no such group")]
    public async Task Bad_socket_permissions_stop_serve_with_a_clear_message(string line, string message)
    {
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = unix:{Path.Combine(cli.Root, "dagent.sock")}\n{line}\n");
        var result = await cli.RunAsync("serve");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Error);
    }

    static async Task DeliverAsync(Stream stream, string subject, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        var writer = new StreamWriter(stream, Encoding.ASCII, leaveOpen: true) { NewLine = "\r\n", AutoFlush = true };
        Assert.StartsWith("220 ", await reader.ReadLineAsync(cancellationToken));
        await writer.WriteLineAsync("LHLO test");
        string? line;
        while ((line = await reader.ReadLineAsync(cancellationToken)) is not null && line.StartsWith("250-", StringComparison.Ordinal)) { }
        Assert.StartsWith("250 ", line);
        await writer.WriteAsync($"MAIL FROM:<sender@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
        Assert.StartsWith("250 ", await reader.ReadLineAsync(cancellationToken));
        Assert.StartsWith("250 ", await reader.ReadLineAsync(cancellationToken));
        Assert.StartsWith("354 ", await reader.ReadLineAsync(cancellationToken));
        await writer.WriteAsync($"Subject: {subject}\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        Assert.Equal("250 2.1.5 <alice@example.com> delivered", await reader.ReadLineAsync(cancellationToken));
        Assert.StartsWith("221 ", await reader.ReadLineAsync(cancellationToken));
    }

    [Fact]
    public async Task Swaks_delivers_over_lmtp_and_gets_per_recipient_answers()
    {
        var http = Cli.FreePort();
        var lmtp = Cli.FreePort();
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{http}\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{lmtp}\n");
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "pw", "--email", "alice@example.com")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "bob", "--password", "pw", "--email", "bob@example.com")).ExitCode);

        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(server);

            var ok = await Swaks(lmtp, "--to", "alice@example.com,bob@example.com", "--from", "sender@example.net", "--header", "Subject: via swaks", "--pipeline");
            Assert.True(ok.ExitCode == 0, ok.Output);
            Assert.Contains("250 2.1.5 <alice@example.com> delivered", ok.Output);
            Assert.Contains("250 2.1.5 <bob@example.com> delivered", ok.Output);

            var unknown = await Swaks(lmtp, "--to", "nobody@example.com", "--from", "sender@example.net");
            Assert.NotEqual(0, unknown.ExitCode);
            Assert.Contains("550 5.1.1", unknown.Output);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
        foreach (var login in new[] { "alice", "bob" })
        {
            var show = await cli.RunAsync("admin", "user", "show", login, "--json");
            Assert.True(JsonDocument.Parse(show.Out).RootElement.GetProperty("store_size").GetInt64() > 100, login);
        }
    }

    static async Task<(int ExitCode, string Output)> Swaks(int port, params string[] args)
    {
        var start = new ProcessStartInfo("swaks") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--protocol", "LMTP", "--server", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--helo", "swaks.test" }.Concat(args))
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
