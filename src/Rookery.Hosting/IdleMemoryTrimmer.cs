using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rookery.Hosting;

/// <summary>
/// Gives memory back to the system once a burst of work is over. The garbage collector runs only when
/// something allocates, so after a busy hour an idle server would keep the heap that hour grew to; when a
/// whole check interval passes without a collection (nothing much is happening: idle IMAP sessions allocate
/// next to nothing), one full, compacting collection returns what is free, and the next one waits for
/// work to have started and stopped again.
/// </summary>
/// <param name="releaseCaches">Lets caches of its own go first (the database's idle connections).</param>
public sealed class IdleMemoryTrimmer(ILogger<IdleMemoryTrimmer> log, TimeSpan interval, Action releaseCaches) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        var collections = GC.CollectionCount(0);
        var trimmed = true;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = GC.CollectionCount(0);
            if (now != collections)
            {
                collections = now;
                trimmed = false;
                continue;
            }
            if (trimmed)
                continue;
            var before = Environment.WorkingSet;
            try
            {
                releaseCaches();
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Releasing caches while idle failed");
            }
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            trimmed = true;
            collections = GC.CollectionCount(0);
            log.LogDebug("Idle: memory trimmed from {Before} to {After} MB", before >> 20, Environment.WorkingSet >> 20);
        }
    }
}
