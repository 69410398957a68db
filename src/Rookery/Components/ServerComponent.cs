using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rookery.Common.Configuration;
using Rookery.Hosting;

namespace Rookery.Components;

/// <summary>The store, the directory and the change notifications: health on server_listen, and the maintenance jobs.</summary>
sealed class ServerComponent(ServerRuntime runtime) : IRookeryComponent
{
    public string Name => "server";

    public ComponentSchema Schema => ConfigSchema.Server;

    public IReadOnlyList<WebListener> HttpListeners { get; } =
    [
        .. runtime.Config.GetListen("server_listen").Select(l => new WebListener(l, Tls: false)),
        .. runtime.Config.GetListen("server_listen_tls").Select(l => new WebListener(l, Tls: true)),
    ];

    public void ConfigureServices(IServiceCollection services)
    {
        var loggers = runtime.Loggers;
        if (runtime.Config.GetInt("blob_collect_interval") is var collect and > 0)
        {
            services.AddHostedService(_ => new PeriodicJob("blob collection", TimeSpan.FromSeconds(collect), async ct =>
                await runtime.Blobs.CollectAsync(TimeSpan.FromSeconds(collect), ct) is var removed and > 0 ? $"removed {removed} unreferenced blobs" : null,
                loggers.CreateLogger("Rookery.BlobCollector")));
        }
        if (runtime.Config.GetInt("changelog_retention") is var days and > 0)
        {
            services.AddHostedService(_ => new PeriodicJob("change-log pruning", TimeSpan.FromHours(1), async ct =>
                await runtime.Store.PruneChangesAsync(DateTimeOffset.UtcNow.AddDays(-days), ct) is var pruned and > 0 ? $"pruned {pruned} rows older than {days} days" : null,
                loggers.CreateLogger("Rookery.ChangeLogPruner")));
        }
        services.AddHostedService(_ => new IdleMemoryTrimmer(loggers.CreateLogger<IdleMemoryTrimmer>(), TimeSpan.FromSeconds(15), () => runtime.Database.TrimIdle()));
    }

    public async Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var report = await runtime.CheckHealthAsync(cancellationToken);
        return new ComponentHealth(report.Healthy, new Dictionary<string, string> { ["database"] = report.Database, ["blobs"] = report.Blobs });
    }
}
