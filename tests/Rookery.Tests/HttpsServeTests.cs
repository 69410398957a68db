using System.Diagnostics;

namespace Rookery.Tests;

/// <summary>
/// The HTTP front end of <c>rookery serve</c> over TLS (<c>server_listen_tls</c>), with curl: the certificate is the
/// one IMAPS and POP3S use unless <c>server_ssl_key_file</c> names its own, and a login over HTTPS is taken from
/// anywhere, where plain HTTP takes one only from the loopback interface.
/// </summary>
public sealed class HttpsServeTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    async Task<Process> ServeAsync(int http, int https, string extra = "")
    {
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{http}\nserver_listen_tls = 127.0.0.1:{https}\n{extra}");
        var server = Process.Start(cli.StartInfo("serve", "--only", "server"))!;
        var banner = await Cli.WaitForBannerAsync(server);
        Assert.Contains(banner, l => l.Contains($"https://127.0.0.1:{https}/health", StringComparison.Ordinal));
        Assert.Contains(banner, l => l.Contains($"http://127.0.0.1:{http}/health", StringComparison.Ordinal));
        return server;
    }

    static async Task StopAsync(Process server)
    {
        server.Kill();
        await server.WaitForExitAsync();
        server.Dispose();
    }

    /// <summary>GET /health over HTTPS with curl, trusting only <paramref name="caFile"/> and resolving localhost to the listener.</summary>
    static Task<(int ExitCode, string Out, string Error)> HealthAsync(int port, string caFile) =>
        Tools.RunAsync("curl", ["-s", "-S", "--cacert", caFile, "--resolve", $"localhost:{port}:127.0.0.1", $"https://localhost:{port}/health"]);

    [Fact]
    public async Task Health_answers_over_https_with_the_gateways_self_signed_certificate()
    {
        var (http, https) = (Cli.FreePort(), Cli.FreePort());
        var server = await ServeAsync(http, https);
        try
        {
            // the self-signed certificate generated in the data directory, the one IMAPS and POP3S present
            var certificate = Path.Combine(cli.DataDirectory, "tls", "self-signed-cert.pem");
            Assert.True(File.Exists(certificate));
            var secure = await HealthAsync(https, certificate);
            Assert.True(secure.ExitCode == 0, secure.Error);
            Assert.Contains("\"healthy\"", secure.Out);

            var plain = await Tools.RunAsync("curl", ["-s", "-S", $"http://127.0.0.1:{http}/health"]);
            Assert.True(plain.ExitCode == 0, plain.Error);
            Assert.Contains("\"healthy\"", plain.Out);
            // TLS is spoken on the TLS listener only
            Assert.NotEqual(0, (await Tools.RunAsync("curl", ["-s", "-S", $"http://127.0.0.1:{https}/health"])).ExitCode);
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task Server_ssl_key_file_gives_the_https_listener_its_own_certificate()
    {
        var directory = Path.Combine(cli.Root, "ssl");
        System.IO.Directory.CreateDirectory(directory);
        var certificate = Path.Combine(directory, "cert.pem");
        var key = Path.Combine(directory, "key.pem");
        var made = await Tools.RunAsync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", certificate]);
        Assert.True(made.ExitCode == 0, made.Error);
        // the original's server_ssl_key_file: certificate and key in one PEM file
        var combined = Path.Combine(directory, "server.pem");
        await File.WriteAllTextAsync(combined, await File.ReadAllTextAsync(certificate) + await File.ReadAllTextAsync(key));

        var (http, https) = (Cli.FreePort(), Cli.FreePort());
        var server = await ServeAsync(http, https, $"server_ssl_key_file = {combined}\n");
        try
        {
            var secure = await HealthAsync(https, certificate);
            Assert.True(secure.ExitCode == 0, secure.Error);
            Assert.Contains("\"healthy\"", secure.Out);
            Assert.False(File.Exists(Path.Combine(cli.DataDirectory, "tls", "self-signed-cert.pem")), "no certificate of its own is generated when one is given");
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task An_unreadable_server_ssl_key_file_stops_serve_with_the_option_named()
    {
        var missing = Path.Combine(cli.Root, "no-such.pem");
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\nserver_listen_tls = 127.0.0.1:{Cli.FreePort()}\nserver_ssl_key_file = {missing}\n");
        var (code, _, error) = await cli.RunAsync("serve", "--only", "server");
        Assert.NotEqual(0, code);
        Assert.Contains($"server_ssl_key_file = {missing}", error);
    }
}
