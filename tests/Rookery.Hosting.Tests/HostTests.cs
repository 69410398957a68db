using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Rookery.Common.Configuration;
using Rookery.Directory;

namespace Rookery.Hosting.Tests;

/// <summary>The component contract and the one HTTP pipeline: /health, a route behind the login, HTTP and HTTPS, mail listeners.</summary>
public sealed class HostTests : IAsyncLifetime
{
    readonly int httpPort = FreePort(), httpsPort = FreePort(), otherPort = FreePort(), mailPort = FreePort();
    readonly X509Certificate2 certificate = SelfSigned();
    WebApplication app = null!;
    TestComponent component = null!;

    static readonly AuthenticationLimits Limits = new()
    {
        FailureDelay = TimeSpan.FromMilliseconds(20),
        MaxFailureDelay = TimeSpan.FromMilliseconds(40),
        MaxFailures = 3,
        Window = TimeSpan.FromMinutes(5),
    };

    public async Task InitializeAsync()
    {
        component = new TestComponent(
            [new WebListener(Listen($"127.0.0.1:{httpPort}"), Tls: false), new WebListener(Listen($"127.0.0.1:{httpsPort}"), Tls: true)],
            [new MailListener("echo", Listen($"127.0.0.1:{mailPort}"), new MailListenerOptions("ECHO"), EchoAsync)]);
        var other = new OtherComponent([new WebListener(Listen($"127.0.0.1:{otherPort}"), Tls: false)]);
        app = RookeryHost.Build([component, other], new HostSettings
        {
            Authenticator = new Authenticator(new OneUserDirectory(), ["pop3"], Limits, TimeProvider.System),
            Certificate = certificate,
        });
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        certificate.Dispose();
    }

    static ListenAddress Listen(string text) => ListenAddress.TryParse(text, out var address) ? address : throw new ArgumentException(text);

    static HttpClient Client() => new(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });

    static AuthenticationHeaderValue Basic(string login, string password) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login}:{password}")));

    static async Task<HttpResponseMessage> GetAsync(string url, AuthenticationHeaderValue? authorization = null)
    {
        using var client = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = authorization;
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Health_reports_every_components_checks_over_http_and_https()
    {
        var response = await GetAsync($"http://127.0.0.1:{httpPort}/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"status\":\"healthy\",\"widgets\":\"ok\",\"other\":\"ok\"}", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"https://127.0.0.1:{httpsPort}/health")).StatusCode);

        component.Healthy = false;
        response = await GetAsync($"http://127.0.0.1:{otherPort}/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("\"status\":\"unhealthy\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("\"widgets\":\"broken\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("https")]
    public async Task A_route_that_needs_a_login_refuses_missing_and_wrong_credentials_with_401(string scheme)
    {
        var url = $"{scheme}://127.0.0.1:{(scheme == "http" ? httpPort : httpsPort)}/widgets/whoami";
        var missing = await GetAsync(url);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Basic realm=\"Rookery\", charset=\"UTF-8\"", Assert.Single(missing.Headers.WwwAuthenticate).ToString());

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(url, Basic("alice", "wrong"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(url, Basic("nobody", "secret"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(url, new AuthenticationHeaderValue("Basic", "%%%"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(url, new AuthenticationHeaderValue("Bearer", "some-token"))).StatusCode); // no token validator

        var ok = await GetAsync(url, Basic("alice", "secret"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal($"alice over {scheme}", await ok.Content.ReadAsStringAsync());

        // the public route needs nothing, and a feature the user may not use is refused with 403
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(url.Replace("whoami", "hello", StringComparison.Ordinal))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(url.Replace("whoami", "pop3-only", StringComparison.Ordinal), Basic("alice", "secret"))).StatusCode);
    }

    [Fact]
    public async Task Repeated_failures_are_throttled_until_even_the_right_password_is_refused()
    {
        var url = $"http://127.0.0.1:{httpPort}/widgets/whoami";
        for (var i = 0; i < Limits.MaxFailures; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(url, Basic("alice", "guess" + i))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(url, Basic("alice", "secret"))).StatusCode);
    }

    [Fact]
    public async Task A_components_routes_answer_only_on_its_own_listeners()
    {
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"http://127.0.0.1:{otherPort}/other")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"http://127.0.0.1:{httpPort}/other")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"http://127.0.0.1:{otherPort}/widgets/hello")).StatusCode);
    }

    [Fact]
    public async Task Passwords_are_refused_over_plain_http_from_another_machine()
    {
        // an address of this machine that is not loopback stands in for another machine
        var address = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        if (address is null)
            return; // no such interface here: nothing to show
        var port = FreePort();
        var open = new TestComponent([new WebListener(Listen($"{address}:{port}"), Tls: false)], []);
        await using var host = RookeryHost.Build([open], new HostSettings { Authenticator = new Authenticator(new OneUserDirectory(), [], Limits, TimeProvider.System) });
        await host.StartAsync();
        var refused = await GetAsync($"http://{address}:{port}/widgets/whoami", Basic("alice", "secret"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("HTTPS", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_mail_listener_runs_its_session_on_each_connection()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, mailPort);
        using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        Assert.Equal("hello from 127.0.0.1 (plaintext allowed: True, tls offered: False)", await reader.ReadLineAsync());
        await stream.WriteAsync("ping\r\n"u8.ToArray());
        Assert.Equal("ping", await reader.ReadLineAsync());
    }

    static async Task EchoAsync(System.IO.Pipelines.IDuplexPipe pipe, MailConnection connection, CancellationToken cancellationToken)
    {
        await pipe.Output.WriteAsync(Encoding.ASCII.GetBytes($"hello from {connection.ClientAddress} (plaintext allowed: {connection.PlaintextAuthAllowed}, tls offered: {connection.StartTls is not null})\r\n"), cancellationToken);
        var read = await pipe.Input.ReadAsync(cancellationToken);
        foreach (var segment in read.Buffer)
            await pipe.Output.WriteAsync(segment, cancellationToken);
        pipe.Input.AdvanceTo(read.Buffer.End);
    }

    sealed class TestComponent(IReadOnlyList<WebListener> http, IReadOnlyList<MailListener> mail) : IRookeryComponent
    {
        public bool Healthy { get; set; } = true;

        public string Name => "widgets";

        public ComponentSchema Schema { get; } = new("widgets", []);

        public IReadOnlyList<WebListener> HttpListeners => http;

        public IReadOnlyList<MailListener> MailListeners => mail;

        public void MapEndpoints(IEndpointRouteBuilder endpoints)
        {
            endpoints.MapGet("/widgets/hello", () => "hello");
            endpoints.MapGet("/widgets/whoami", (HttpContext context) => $"{context.LoggedInUser().Login} over {context.Request.Scheme}").RequireLogin(Features.Imap);
            endpoints.MapGet("/widgets/pop3-only", (HttpContext context) => context.LoggedInUser().Login).RequireLogin(Features.Pop3);
        }

        public Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new ComponentHealth(Healthy, new Dictionary<string, string> { ["widgets"] = Healthy ? "ok" : "broken" }));
    }

    sealed class OtherComponent(IReadOnlyList<WebListener> http) : IRookeryComponent
    {
        public string Name => "other";

        public ComponentSchema Schema { get; } = new("other", []);

        public IReadOnlyList<WebListener> HttpListeners => http;

        public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapGet("/other", () => "other");

        public Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new ComponentHealth(true, new Dictionary<string, string> { ["other"] = "ok" }));
    }

    /// <summary>alice with password secret; pop3 is off server-wide (the host's disabled_features).</summary>
    sealed class OneUserDirectory : IUserDirectory
    {
        static readonly UserAccount Alice = new() { Id = 1, Login = "alice", Source = "db", Email = "alice@example.com" };

        public string Name => "test";

        public Task<AuthenticationResult> AuthenticateAsync(string login, string password, CancellationToken cancellationToken = default) =>
            Task.FromResult(login == "alice" && password == "secret" ? new AuthenticationResult(AuthenticationOutcome.Success, Alice) : AuthenticationResult.Failed("no"));

        public Task<UserAccount?> FindUserAsync(string login, CancellationToken cancellationToken = default) => Task.FromResult(login == "alice" ? Alice : null);

        public Task<UserAccount?> FindByAddressAsync(string address, CancellationToken cancellationToken = default) => Task.FromResult<UserAccount?>(null);

        public Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<UserAccount>>([Alice]);

        public Task<UserAccount?> FindByStoreOwnerAsync(string storeOwner, CancellationToken cancellationToken = default) => Task.FromResult<UserAccount?>(null);

        public Task<IReadOnlyList<GroupInfo>> ListGroupsAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<GroupInfo>>([]);
    }

    static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);
    }

    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
