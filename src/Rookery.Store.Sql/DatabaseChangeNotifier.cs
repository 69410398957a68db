using LinqToDB;
using LinqToDB.Async;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Rookery.Store.Sql;

/// <summary>
/// Change notifications across processes that share one database: commits made here are
/// published at once; for every store somebody here subscribes to, the store's modseq is
/// polled, so commits of other Rookery processes are published within one interval.
/// </summary>
public sealed class DatabaseChangeNotifier : IChangeNotifier, IAsyncDisposable
{
    readonly ChangeNotifier local = new();
    readonly Database database;
    readonly ILogger log;
    readonly Dictionary<long, (int Subscribers, long ModSeq)> watched = [];
    readonly Lock gate = new();
    readonly CancellationTokenSource stopping = new();
    readonly Task poller;

    public DatabaseChangeNotifier(Database database, TimeSpan interval, ILogger<DatabaseChangeNotifier>? logger = null)
    {
        this.database = database;
        log = logger ?? (ILogger)NullLogger.Instance;
        poller = interval > TimeSpan.Zero ? Task.Run(() => PollAsync(interval, stopping.Token)) : Task.CompletedTask;
    }

    public ChangeSubscription Subscribe(long storeId)
    {
        lock (gate)
        {
            watched[storeId] = watched.TryGetValue(storeId, out var w) ? (w.Subscribers + 1, w.ModSeq) : (1, -1);
        }
        return local.Subscribe(storeId, () => Unwatch(storeId));
    }

    public void Publish(StoreChanged change)
    {
        lock (gate)
        {
            if (watched.TryGetValue(change.StoreId, out var w) && change.ModSeq > w.ModSeq)
                watched[change.StoreId] = (w.Subscribers, change.ModSeq);
        }
        local.Publish(change);
    }

    void Unwatch(long storeId)
    {
        lock (gate)
        {
            if (!watched.TryGetValue(storeId, out var w))
                return;
            if (w.Subscribers <= 1)
                watched.Remove(storeId);
            else
                watched[storeId] = (w.Subscribers - 1, w.ModSeq);
        }
    }

    async Task PollAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            long[] ids;
            lock (gate)
                ids = [.. watched.Keys];
            if (ids.Length == 0)
                continue;
            try
            {
                await using var db = await database.OpenAsync(cancellationToken);
                var current = await db.GetTable<StoreRow>().Where(s => ids.Contains(s.Id)).Select(s => new { s.Id, s.ModSeq }).ToListAsync(cancellationToken);
                foreach (var store in current)
                {
                    bool changed;
                    lock (gate)
                    {
                        // The first poll of a store cannot know what the subscriber saw, so it wakes it up:
                        // a subscriber re-reads the change log from its own modseq, so a spurious wake-up costs
                        // one query and a missed one would cost a stale view.
                        changed = watched.TryGetValue(store.Id, out var w) && store.ModSeq > w.ModSeq;
                        if (changed)
                            watched[store.Id] = (w.Subscribers, store.ModSeq);
                    }
                    if (changed)
                        local.Publish(new StoreChanged(store.Id, store.ModSeq));
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Polling the database for changes failed; retrying");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        try { await poller; } catch (OperationCanceledException) { }
        stopping.Dispose();
    }
}
