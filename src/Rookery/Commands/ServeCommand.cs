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
using Rookery.Directory;

namespace Rookery.Commands;

/// <summary><c>rookery serve</c>: runs every enabled component in one process.</summary>
public static class ServeCommand
{
    /// <summary>The components serve knows today; protocol issues add theirs.</summary>
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

    static async Task<int> RunAsync(CommonOptions common, ParseResult parse, bool demo, IReadOnlySet<string> components, CancellationToken cancellationToken)
    {
        var paths = common.Paths(parse);
        // Durable writes block a pool thread in fsync(2) for a millisecond or more; with the default
        // minimum (one thread per core) concurrent deliveries would wait for the pool to grow.
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), completionPorts);
        (ComponentConfig Server, ComponentConfig Dagent, ComponentConfig Gateway) LoadConfigs() => (
            ConfigLoader.Load(ConfigSchema.Server, paths.ConfigDirectory, ConfigLoader.ProcessEnvironment(), demo ? DemoOverrides : new Dictionary<string, string>(), "--demo"),
            ConfigLoader.Load(ConfigSchema.Dagent, paths.ConfigDirectory, ConfigLoader.ProcessEnvironment(), demo ? DemoDagentOverrides : new Dictionary<string, string>(), "--demo"),
            ConfigLoader.Load(ConfigSchema.Gateway, paths.ConfigDirectory, ConfigLoader.ProcessEnvironment(), demo ? DemoGatewayOverrides : new Dictionary<string, string>(), "--demo"));
        var configs = LoadConfigs();
        var (config, dagentConfig, gatewayConfig) = configs;
        using var loggers = Logging.CreateFactory(config.GetInt("log_level"));
        var log = loggers.CreateLogger("rookery");
        var runtime = await ServerRuntime.StartAsync(config, paths, loggers, cancellationToken);
        if (demo)
            await EnsureDemoUserAsync(runtime, cancellationToken);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        Logging.Configure(builder.Logging, config.GetInt("log_level"));
        builder.Services.AddSingleton(runtime);
        builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IConnectionListenerFactory, StreamSocketTransportFactory>();
        builder.Services.AddHostedService(services => new BlobCollector(runtime, services.GetRequiredService<ILogger<BlobCollector>>()));
        builder.Services.AddHostedService(services => new ChangeLogPruner(runtime, services.GetRequiredService<ILogger<ChangeLogPruner>>()));
        builder.Services.AddHostedService(services => new IdleMemoryTrimmer(services.GetRequiredService<ILogger<IdleMemoryTrimmer>>(), TimeSpan.FromSeconds(15), () => runtime.Database.TrimIdle()));
        var listeners = components.Contains("server") ? config.GetListen("server_listen") : [];
        var lmtpListeners = components.Contains("dagent") ? dagentConfig.GetListen("lmtp_listen") : [];
        var hostName = config.GetString("server_hostname") is { Length: > 0 } h ? h : Dns.GetHostName();
        var agent = runtime.CreateDeliveryAgent(dagentConfig);
        var lmtpLimits = new Dagent.LmtpLimits
        {
            MaxMessageSize = dagentConfig.GetInt("max_message_size") * 1024L * 1024,
            MaxRecipients = dagentConfig.GetInt("lmtp_max_recipients"),
            IdleTimeout = TimeSpan.FromSeconds(dagentConfig.GetInt("lmtp_idle_timeout")),
            SpoolDirectory = Path.Combine(paths.DataDirectory, "spool"),
        };
        var socketPermissions = UnixSocketPermissions.From(dagentConfig, "lmtp_socket_mode", "lmtp_socket_group");
        var lmtpHandler = new LmtpConnectionHandler(agent, hostName, lmtpLimits, loggers.CreateLogger<Dagent.LmtpSession>());
        var socketmapListeners = components.Contains("dagent") ? dagentConfig.GetListen("postfix_socketmap_listen") : [];
        var socketmapPermissions = UnixSocketPermissions.From(dagentConfig, "postfix_socketmap_socket_mode", "postfix_socketmap_socket_group");
        var socketmapHandler = new SocketmapConnectionHandler(new Dagent.Socketmap.PostfixMaps(runtime.Directory, dagentConfig.GetBool("expand_groups"), loggers.CreateLogger<Dagent.Socketmap.PostfixMaps>()),
            new Dagent.Socketmap.SocketmapLimits(), loggers.CreateLogger<Dagent.Socketmap.SocketmapSession>());
        var gatewayListeners = components.Contains("gateway")
            ? new[] { "imap", "imaps", "pop3", "pop3s" }.SelectMany(service => GatewayListeners.Resolve(gatewayConfig, service).Select(address => (service, address))).ToList()
            : [];
        var gatewayHandlers = gatewayListeners.Count > 0 ? CreateGatewayHandlers(runtime, config, gatewayConfig, hostName, loggers) : [];
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var listen in listeners)
                Listen(kestrel, listen, null);
            foreach (var listen in lmtpListeners)
                Listen(kestrel, listen, endpoint => endpoint.Use(next => lmtpHandler.OnConnectedAsync));
            foreach (var (service, listen) in gatewayListeners)
                Listen(kestrel, listen, endpoint => endpoint.Use(next => gatewayHandlers[service].OnConnectedAsync));
            foreach (var listen in socketmapListeners)
                Listen(kestrel, listen, endpoint => endpoint.Use(next => socketmapHandler.OnConnectedAsync));
        });
        var app = builder.Build();
        app.MapGet("/health", async (ServerRuntime r, CancellationToken ct) =>
        {
            var report = await r.CheckHealthAsync(ct);
            return Results.Text(report.ToJson(), "application/json", statusCode: report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        await app.StartAsync(cancellationToken);
        foreach (var listen in lmtpListeners.Where(l => l.IsUnix))
            socketPermissions.ApplyTo(listen.UnixPath!);
        foreach (var listen in socketmapListeners.Where(l => l.IsUnix))
            socketmapPermissions.ApplyTo(listen.UnixPath!);

        var pidFile = ConfigReloader.PidFile(config, paths);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
        await File.WriteAllTextAsync(pidFile, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n", cancellationToken);
        var reloader = new ConfigReloader(runtime, configs, LoadConfigs, log);
        using var hangup = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, signal =>
        {
            signal.Cancel = true;
            _ = Task.Run(reloader.Reload, CancellationToken.None);
        });

        Banner(runtime, listeners, lmtpListeners, [.. gatewayListeners, .. socketmapListeners.Select(l => ("socketmap", l))], demo);
        log.LogInformation("Rookery started: {Database}, attachments in {Attachments}", runtime.Database.Settings.Describe(), runtime.Blobs.Files.Root);
        await app.WaitForShutdownAsync(cancellationToken);
        if (File.Exists(pidFile) && (await File.ReadAllTextAsync(pidFile, CancellationToken.None)).Trim() == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            File.Delete(pidFile);
        return 0;
    }

    /// <summary>Binds one listen address; <paramref name="configure"/> null means HTTP, else a mail protocol on <see cref="StreamSocketTransportFactory"/>.</summary>
    static void Listen(KestrelServerOptions kestrel, ListenAddress listen, Action<ListenOptions>? configure)
    {
        foreach (var endpoint in EndPoints(listen))
        {
            if (configure is null)
                kestrel.Listen(endpoint);
            else
                kestrel.Listen(new MailEndPoint(endpoint), configure);
        }
    }

    /// <summary>The sockets one listen address stands for, as Kestrel's own Listen methods read it.</summary>
    static IEnumerable<EndPoint> EndPoints(ListenAddress listen)
    {
        if (listen.IsUnix)
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(listen.UnixPath)!);
            File.Delete(listen.UnixPath);
            yield return new System.Net.Sockets.UnixDomainSocketEndPoint(listen.UnixPath);
        }
        else if (listen.Host == "*")
            yield return new IPEndPoint(System.Net.Sockets.Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any, listen.Port); // dual-stack
        else if (listen.Host is "localhost")
        {
            yield return new IPEndPoint(IPAddress.Loopback, listen.Port);
            if (CanBind(new IPEndPoint(IPAddress.IPv6Loopback, 0)))
                yield return new IPEndPoint(IPAddress.IPv6Loopback, listen.Port); // like Kestrel's localhost, skipped where IPv6 is off
        }
        else if (IPAddress.TryParse(listen.Host, out var address))
            yield return new IPEndPoint(address, listen.Port);
        else
            yield return new IPEndPoint(Dns.GetHostAddresses(listen.Host).First(), listen.Port);
    }

    static bool CanBind(IPEndPoint endpoint)
    {
        if (!System.Net.Sockets.Socket.OSSupportsIPv6 && endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            return false;
        try
        {
            using var probe = new System.Net.Sockets.Socket(endpoint.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            probe.Bind(endpoint);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

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

    /// <summary>The IMAP and POP3 handlers for plain (STARTTLS/STLS) and implicit-TLS listeners, sharing one certificate, login service and per-address limit.</summary>
    static Dictionary<string, GatewayConnectionHandler> CreateGatewayHandlers(ServerRuntime runtime, Common.Configuration.ComponentConfig server, Common.Configuration.ComponentConfig gateway, string hostName, ILoggerFactory loggers)
    {
        var certificate = Common.Tls.CertificateSource.Load(gateway.GetString("ssl_certificate_file"), gateway.GetString("ssl_private_key_file"), runtime.Paths.DataDirectory, hostName);
        var authenticator = new Authenticator(runtime.Directory, server.GetList("disabled_features"), new AuthenticationLimits
        {
            FailureDelay = TimeSpan.FromSeconds(server.GetInt("auth_failure_delay")),
            MaxFailureDelay = TimeSpan.FromSeconds(Math.Max(server.GetInt("auth_failure_delay"), server.GetInt("auth_max_failure_delay"))),
            MaxFailures = server.GetInt("auth_max_failures"),
            Window = TimeSpan.FromMinutes(server.GetInt("auth_failure_window")),
        }, TimeProvider.System)
        {
            Logger = loggers.CreateLogger<Authenticator>(),
        };
        var perAddress = new Common.ConnectionCounter(gateway.GetInt("imap_max_connections_per_address"));
        var disablePlaintext = gateway.GetBool("disable_plaintext_auth");
        var maxMessage = gateway.GetInt("imap_max_message_size") * 1024L * 1024;
        var imap = new Imap.ImapServices(runtime.Store, runtime.UserStores, authenticator, new Imap.ImapOptions
        {
            HostName = hostName,
            OnlyMailFolders = gateway.GetBool("imap_only_mailfolders"),
            IdleTimeout = TimeSpan.FromMinutes(gateway.GetInt("imap_idle_timeout")),
            LoginTimeout = TimeSpan.FromSeconds(gateway.GetInt("imap_login_timeout")),
            MaxBadCommands = gateway.GetInt("imap_max_bad_commands"),
            Limits = new Imap.Protocol.ParserLimits
            {
                MaxLineLength = gateway.GetInt("imap_max_line_length"),
                MaxLiteralSize = maxMessage,
                MaxNonSyncLiteralSize = maxMessage,
                MaxNesting = gateway.GetInt("imap_max_nesting"),
            },
        }, new Common.ConnectionCounter(gateway.GetInt("imap_max_connections_per_user")), new Store.AccountQuotaPolicy(runtime.Directory, runtime.ServerQuota),
            runtime.FolderAccess, runtime.Directory);
        var pop3 = new Pop3.Pop3Services(runtime.Store, runtime.UserStores, authenticator, new Pop3.Pop3Options
        {
            HostName = hostName,
            MaxLineLength = gateway.GetInt("pop3_max_line_length"),
            IdleTimeout = TimeSpan.FromMinutes(gateway.GetInt("pop3_idle_timeout")),
            LoginTimeout = TimeSpan.FromSeconds(gateway.GetInt("pop3_login_timeout")),
            MaxBadCommands = gateway.GetInt("pop3_max_bad_commands"),
        });
        var imapLog = loggers.CreateLogger<Imap.ImapSession>();
        var pop3Log = loggers.CreateLogger<Pop3.Pop3Session>();

        async Task RunImap(System.IO.Pipelines.IDuplexPipe pipe, GatewayConnection c, CancellationToken ct)
        {
            using var session = new Imap.ImapSession(pipe, imap, new Imap.ImapConnection(c.ClientAddress, c.Secure, c.PlaintextAuthAllowed) { AcknowledgeNow = c.AcknowledgeNow, Stopping = c.Stopping }, c.StartTls, imapLog);
            await session.RunAsync(ct);
        }

        async Task RunPop3(System.IO.Pipelines.IDuplexPipe pipe, GatewayConnection c, CancellationToken ct)
        {
            using var session = new Pop3.Pop3Session(pipe, pop3, new Pop3.Pop3Connection(c.ClientAddress, c.Secure, c.PlaintextAuthAllowed) { Stopping = c.Stopping }, c.StartTls, pop3Log);
            await session.RunAsync(ct);
        }

        return new()
        {
            ["imap"] = new("IMAP", certificate, implicitTls: false, disablePlaintext, perAddress, RunImap, imapLog),
            ["imaps"] = new("IMAP", certificate, implicitTls: true, disablePlaintext, perAddress, RunImap, imapLog),
            ["pop3"] = new("POP3", certificate, implicitTls: false, disablePlaintext, perAddress, RunPop3, pop3Log),
            ["pop3s"] = new("POP3", certificate, implicitTls: true, disablePlaintext, perAddress, RunPop3, pop3Log),
        };
    }

    static void Banner(ServerRuntime runtime, IReadOnlyList<ListenAddress> httpListeners, IReadOnlyList<ListenAddress> lmtpListeners, IReadOnlyList<(string Kind, ListenAddress Address)> gatewayListeners, bool demo)
    {
        var lines = new List<string>
        {
            "Rookery is running.",
            $"  configuration  {runtime.Paths.ConfigDirectory}",
            $"  data           {runtime.Paths.DataDirectory}",
            $"  database       {runtime.Database.Settings.Describe()}",
            $"  attachments    {runtime.Blobs.Mode.ToString().ToLowerInvariant()} in {runtime.Blobs.Files.Root}",
        };
        foreach (var http in httpListeners)
            lines.Add(http.IsUnix ? $"  health         unix:{http.UnixPath} GET /health" : $"  health         http://{(http.Host == "*" ? "127.0.0.1" : http.Host)}:{http.Port}/health");
        foreach (var lmtp in lmtpListeners)
            lines.Add($"  lmtp           {(lmtp.IsUnix ? "unix:" + lmtp.UnixPath : $"{lmtp.Host}:{lmtp.Port}")}");
        foreach (var (kind, listen) in gatewayListeners)
            lines.Add($"  {kind,-15}{(listen.IsUnix ? "unix:" + listen.UnixPath : $"{listen.Host}:{listen.Port}")}");
        if (demo)
        {
            lines.Add("  demo user      demo / demo (demo@example.com), every feature enabled");
            lines.Add("  add users with: rookery admin user add LOGIN --password PW --email ADDR" + (runtime.Paths.DataDirectory == RookeryPaths.SystemDataDirectory ? "" : $" --data-dir {runtime.Paths.DataDirectory}"));
        }
        lines.Add("Press Ctrl+C to stop.");
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }

    /// <summary>Removes blobs nothing references, every blob_collect_interval seconds.</summary>
    sealed class BlobCollector(ServerRuntime runtime, ILogger<BlobCollector> log) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var interval = runtime.Config.GetInt("blob_collect_interval");
            if (interval <= 0)
                return;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(interval));
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var removed = await runtime.Blobs.CollectAsync(TimeSpan.FromSeconds(interval), stoppingToken);
                    if (removed > 0)
                        log.LogInformation("Removed {Count} unreferenced blobs", removed);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Blob collection failed; retrying in {Seconds} s", interval);
                }
            }
        }
    }

    /// <summary>Prunes the change log past changelog_retention days, an hour after start and every hour after.</summary>
    sealed class ChangeLogPruner(ServerRuntime runtime, ILogger<ChangeLogPruner> log) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var days = runtime.Config.GetInt("changelog_retention");
            if (days <= 0)
                return;
            using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var pruned = await runtime.Store.PruneChangesAsync(DateTimeOffset.UtcNow.AddDays(-days), stoppingToken);
                    if (pruned > 0)
                        log.LogInformation("Pruned {Count} change-log rows older than {Days} days", pruned, days);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Pruning the change log failed; retrying in an hour");
                }
            }
        }
    }
}
