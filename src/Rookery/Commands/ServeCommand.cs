using System.CommandLine;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rookery.Common.Configuration;
using Rookery.Components;
using Rookery.Directory;
using Rookery.Hosting;

namespace Rookery.Commands;

/// <summary><c>rookery serve</c>: runs every enabled component in one process.</summary>
public static class ServeCommand
{
    /// <summary>The components serve knows today, in the order they start; protocol issues add theirs.</summary>
    static readonly string[] Components = ["server", "dagent", "gateway"];

    public static Command Create(CommonOptions common)
    {
        var only = new Option<string?>("--only") { Description = "Run only these components (comma-separated), e.g. --only server" };
        var demo = new Option<bool>("--demo") { Description = "First run for newcomers: SQLite in the data directory, loopback listeners on unprivileged ports, user demo/demo" };
        var command = new Command("serve", "Run the Rookery server") { only, demo };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var selected = parse.GetValue(only)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? Components;
            var unknown = selected.Except(Components, StringComparer.OrdinalIgnoreCase).ToList();
            if (unknown.Count > 0)
            {
                await Console.Error.WriteLineAsync($"rookery serve: unknown component(s) {string.Join(", ", unknown)}; known: {string.Join(", ", Components)}");
                return 2;
            }
            return await RunAsync(common, parse, parse.GetValue(demo), selected.Select(c => c.ToLowerInvariant()).ToHashSet(), cancellationToken);
        });
        return command;
    }

    public static IReadOnlyDictionary<string, string> DemoOverrides { get; } = new Dictionary<string, string>
    {
        ["database_engine"] = "sqlite",
        ["user_plugin"] = "db",
        ["server_listen"] = "127.0.0.1:10080",
        ["disabled_features"] = "",
    };

    public static IReadOnlyDictionary<string, string> DemoDagentOverrides { get; } = new Dictionary<string, string>
    {
        ["lmtp_listen"] = "127.0.0.1:2003",
    };

    public static IReadOnlyDictionary<string, string> DemoGatewayOverrides { get; } = new Dictionary<string, string>
    {
        ["imap_listen"] = "127.0.0.1:10143",
        ["imaps_listen"] = "127.0.0.1:10993",
        ["pop3_listen"] = "127.0.0.1:10110",
        ["pop3s_listen"] = "127.0.0.1:10995",
    };

    /// <summary>
    /// What --demo sets: its fixed addresses give way to ones the environment sets (SERVER_LISTEN, IMAP_LISTEN…), so a
    /// second demo, or a test, can run beside one already listening there; the rest (SQLite, the db plugin) holds.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DemoOverridesFor(ComponentSchema schema, IReadOnlyDictionary<string, string> demo, IReadOnlyDictionary<string, string> environment) =>
        demo.Where(o => !o.Key.EndsWith("_listen", StringComparison.Ordinal)
                || !(environment.ContainsKey(o.Key.ToUpperInvariant()) || environment.ContainsKey(schema.Name.ToUpperInvariant() + "_" + o.Key.ToUpperInvariant())))
            .ToDictionary(o => o.Key, o => o.Value);

    static async Task<int> RunAsync(CommonOptions common, ParseResult parse, bool demo, IReadOnlySet<string> components, CancellationToken cancellationToken)
    {
        var paths = common.Paths(parse);
        // Durable writes block a pool thread in fsync(2) for a millisecond or more; with the default
        // minimum (one thread per core) concurrent deliveries would wait for the pool to grow.
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), completionPorts);
        ComponentConfig Load(ComponentSchema schema, IReadOnlyDictionary<string, string> demoOverrides)
        {
            var environment = ConfigLoader.ProcessEnvironment();
            return ConfigLoader.Load(schema, paths.ConfigDirectory, environment, demo ? DemoOverridesFor(schema, demoOverrides, environment) : new Dictionary<string, string>(), "--demo");
        }
        (ComponentConfig Server, ComponentConfig Dagent, ComponentConfig Gateway) LoadConfigs() =>
            (Load(ConfigSchema.Server, DemoOverrides), Load(ConfigSchema.Dagent, DemoDagentOverrides), Load(ConfigSchema.Gateway, DemoGatewayOverrides));
        var configs = LoadConfigs();
        var (config, dagentConfig, gatewayConfig) = configs;
        using var loggers = Logging.CreateFactory(config.GetInt("log_level"));
        var log = loggers.CreateLogger("rookery");
        var runtime = await ServerRuntime.StartAsync(config, paths, loggers, cancellationToken);
        if (demo)
            await EnsureDemoUserAsync(runtime, cancellationToken);

        var hostName = config.GetString("server_hostname") is { Length: > 0 } h ? h : Dns.GetHostName();
        var authenticator = CreateAuthenticator(runtime, config, loggers);
        // one certificate for the gateway and, unless server_ssl_key_file names another, the HTTPS listeners
        var gatewayCertificate = new Lazy<System.Security.Cryptography.X509Certificates.X509Certificate2>(() => GatewayComponent.Certificate(gatewayConfig, paths, hostName));
        var registered = new List<IRookeryComponent>();
        foreach (var name in Components.Where(components.Contains))
        {
            registered.Add(name switch
            {
                "server" => new ServerComponent(runtime),
                "dagent" => new DagentComponent(runtime, dagentConfig, hostName),
                _ => new GatewayComponent(runtime, gatewayConfig, hostName, authenticator, gatewayCertificate.Value),
            });
        }
        var app = RookeryHost.Build(registered, new HostSettings
        {
            Authenticator = authenticator,
            Certificate = registered.Any(c => c.HttpListeners.Any(l => l.Tls)) ? HttpsCertificate(config, gatewayCertificate, paths, hostName) : null,
            ConfigureLogging = logging => Logging.Configure(logging, config.GetInt("log_level")),
        });
        await app.StartAsync(cancellationToken);

        var pidFile = ConfigReloader.PidFile(config, paths);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
        await File.WriteAllTextAsync(pidFile, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n", cancellationToken);
        var reloader = new ConfigReloader(runtime, configs, LoadConfigs, log);
        using var hangup = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, signal =>
        {
            signal.Cancel = true;
            _ = Task.Run(reloader.Reload, CancellationToken.None);
        });

        Banner(runtime, registered, demo);
        log.LogInformation("Rookery started: {Database}, attachments in {Attachments}", runtime.Database.Settings.Describe(), runtime.Blobs.Files.Location);
        await app.WaitForShutdownAsync(cancellationToken);
        if (File.Exists(pidFile) && (await File.ReadAllTextAsync(pidFile, CancellationToken.None)).Trim() == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            File.Delete(pidFile);
        return 0;
    }

    /// <summary>
    /// The certificate of the HTTPS listeners: server_ssl_key_file (certificate and key in one PEM, as the original's), else the
    /// gateway's — its ssl_certificate_file, or the self-signed certificate in the data directory that IMAPS and POP3S use too.
    /// </summary>
    static System.Security.Cryptography.X509Certificates.X509Certificate2 HttpsCertificate(ComponentConfig server,
        Lazy<System.Security.Cryptography.X509Certificates.X509Certificate2> gateway, RookeryPaths paths, string hostName) =>
        server.GetString("server_ssl_key_file") is { Length: > 0 } own
            ? Common.Tls.CertificateSource.Load(own, "", paths.DataDirectory, hostName, "server_ssl_key_file")
            : gateway.Value;

    static async Task EnsureDemoUserAsync(ServerRuntime runtime, CancellationToken cancellationToken)
    {
        var user = await runtime.Repository.FindUserAsync(DbUserDirectory.Source, "demo", cancellationToken)
            ?? await runtime.Repository.CreateUserAsync(DbUserDirectory.Source, "demo", runtime.PasswordHasher.Hash("demo"), new UserUpdate
            {
                Email = "demo@example.com",
                FullName = "Demo User",
                EnableFeatures = Features.All,
            }, cancellationToken);
        await runtime.UserStores.EnsureStoreAsync(user, cancellationToken);
    }

    /// <summary>The one login service of the process: every protocol and every HTTP endpoint logs users in through it.</summary>
    static Authenticator CreateAuthenticator(ServerRuntime runtime, ComponentConfig server, ILoggerFactory loggers) =>
        new(runtime.Directory, server.GetList("disabled_features"), new AuthenticationLimits
        {
            FailureDelay = TimeSpan.FromSeconds(server.GetInt("auth_failure_delay")),
            MaxFailureDelay = TimeSpan.FromSeconds(Math.Max(server.GetInt("auth_failure_delay"), server.GetInt("auth_max_failure_delay"))),
            MaxFailures = server.GetInt("auth_max_failures"),
            Window = TimeSpan.FromMinutes(server.GetInt("auth_failure_window")),
        }, TimeProvider.System)
        {
            Logger = loggers.CreateLogger<Authenticator>(),
        };

    static void Banner(ServerRuntime runtime, IReadOnlyList<IRookeryComponent> components, bool demo)
    {
        var lines = new List<string>
        {
            "Rookery is running.",
            $"  components     {string.Join(", ", components.Select(c => c.Name))}",
            $"  configuration  {runtime.Paths.ConfigDirectory}",
            $"  data           {runtime.Paths.DataDirectory}",
            $"  database       {runtime.Database.Settings.Describe()}",
            $"  attachments    {runtime.Blobs.Mode.ToString().ToLowerInvariant()} in {runtime.Blobs.Files.Location}",
        };
        foreach (var http in components.SelectMany(c => c.HttpListeners).Distinct())
        {
            var address = http.Address;
            lines.Add(address.IsUnix ? $"  health         unix:{address.UnixPath} GET /health"
                : $"  health         {(http.Tls ? "https" : "http")}://{(address.Host == "*" ? "127.0.0.1" : address.Host)}:{address.Port}/health");
        }
        foreach (var listener in components.SelectMany(c => c.MailListeners))
            lines.Add($"  {listener.Service,-15}{Listeners.Describe(listener.Address)}");
        if (demo)
        {
            lines.Add("  demo user      demo / demo (demo@example.com), every feature enabled");
            lines.Add("  add users with: rookery admin user add LOGIN --password PW --email ADDR" + (runtime.Paths.DataDirectory == RookeryPaths.SystemDataDirectory ? "" : $" --data-dir {runtime.Paths.DataDirectory}"));
        }
        lines.Add("Press Ctrl+C to stop.");
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }
}
