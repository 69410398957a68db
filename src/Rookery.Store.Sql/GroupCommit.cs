using System.Diagnostics;
using System.Collections.Concurrent;
using LinqToDB.Data;

namespace Rookery.Store.Sql;

/// <summary>
/// Runs a process's writes to an SQLite store several to a transaction. SQLite has one writer
/// at a time and, with <c>synchronous = FULL</c>, every commit waits for an fsync; writes that
/// queue up while one commit is on its way to disk share the next commit (and its fsync)
/// instead of each waiting its turn for the lock and paying its own.
/// </summary>
/// <remarks>
/// Each write runs in its own savepoint with its own modseq, exactly as it would in a
/// transaction of its own: one that fails (quota, a vanished folder) is rolled back alone and
/// gets its exception, the others commit. Nobody's task completes before the commit that holds
/// its write is in the database's log.
/// <para>
/// There is no writer thread: the first write that finds nobody committing commits on its own
/// thread, taking whatever else is queued into its batch, and answers its caller without a
/// thread hand-off. Writes that arrive meanwhile are committed together by a pool thread once
/// it is done (on a 2-core machine each hand-off is a context switch, 14 % of the CPU in the
/// IMAP client mix).
/// </para>
/// <para>
/// A batch of nothing but state changes (flags, keywords, \Recent claims, expunges: see
/// <see cref="RunAsync{T}"/>) commits with <c>synchronous = NORMAL</c>: its log frames are
/// written, so a crash of the process cannot lose them, but the fsync is left to the next
/// batch that needs one, or to a timer within <see cref="DatabaseSettings.StateSyncDelay"/>.
/// A later fsync of the log makes every earlier frame durable too, so a power cut loses at most
/// the state changes of that window, never one without those before it, and never content: a
/// batch with an append, a copy or a folder change waits for its fsync as before. (Dovecot does
/// not fsync flag changes at all; PostgreSQL's <c>synchronous_commit = off</c> is the same trade.)
/// </para>
/// </remarks>
// The maintenance timer lives as long as the store, which is the process's: nothing to dispose early.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "lives as long as its store")]
sealed class GroupCommit
{
    readonly Database database;
    readonly IChangeNotifier notifier;

    public GroupCommit(Database database, IChangeNotifier notifier)
    {
        this.database = database;
        this.notifier = notifier;
        maintenance = new Timer(OnMaintenance);
    }

    /// <summary>The most writes one transaction takes: bounds how long the lock is held and the cost of a retry.</summary>
    const int MaxBatch = 64;
    const int MaxAttempts = 5;

    readonly ConcurrentQueue<Write> queue = new();

    /// <summary>
    /// 1 while a thread runs batches (the leader). Only the leader touches the writer connection and
    /// the sync state; a write that finds no leader makes its own thread the leader, so a write that
    /// arrives while nothing else is being written commits without waking another thread.
    /// </summary>
    int leading;

    /// <summary>Wakes the writer for the deferred fsync and for closing an idle connection.</summary>
    readonly Timer maintenance;

    /// <summary>When the maintenance timer fires next (Stopwatch ticks); 0 when it is not set.</summary>
    long maintenanceAt;

    /// <summary>When the writer connection was last used (Stopwatch ticks).</summary>
    long lastUse;

    /// <param name="stateOnly">
    /// The write changes only the state of messages (flags, keywords, \Recent, expunges), adds no
    /// content and changes no folder: its fsync may follow its acknowledgement (see the remarks).
    /// </param>
    public Task<T> RunAsync<T>(long[] storeIds, Func<DataConnection, IReadOnlyDictionary<long, long>, Task<T>> body, bool stateOnly, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var write = new Write<T>(storeIds.Distinct().Order().ToArray(), body, stateOnly, cancellationToken);
        queue.Enqueue(write);
        if (Interlocked.CompareExchange(ref leading, 1, 0) == 0)
            return LeadThenAsync(write);
        return write.Task;
    }

    async Task<T> LeadThenAsync<T>(Write<T> own)
    {
        await LeadAsync(own);
        return await own.Task;
    }

    /// <summary>
    /// Commits what is queued, a batch at a time, until <paramref name="own"/> (the write that made
    /// this thread the leader) is done, or with none until the queue is empty; then hands over.
    /// Writes queued meanwhile go to a pool thread rather than keep the caller from its answer.
    /// </summary>
    async Task LeadAsync(Write? own)
    {
        var batch = new List<Write>(MaxBatch);
        while (own is null ? !queue.IsEmpty : !own.IsDone)
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.TryDequeue(out var write))
            {
                if (write.CancellationToken.IsCancellationRequested)
                    write.Fail(new OperationCanceledException(write.CancellationToken));
                else
                    batch.Add(write);
            }
            if (batch.Count > 0)
                await CommitAsync(batch);
        }
        HandOver();
    }

    /// <summary>Gives up the lead: to a pool thread when writes are waiting, else to the maintenance timer.</summary>
    void HandOver()
    {
        // Scheduled by the leader only, so a later leader's schedule is never overwritten by an older
        // one; and only when it must fire sooner than it would, not once per commit.
        var due = WaitLimit();
        if (due != Timeout.InfiniteTimeSpan)
        {
            var now = Stopwatch.GetTimestamp();
            var at = now + (long)(due.TotalSeconds * Stopwatch.Frequency);
            var scheduled = Volatile.Read(ref maintenanceAt);
            if (scheduled == 0 || at < scheduled || scheduled <= now)
            {
                Volatile.Write(ref maintenanceAt, at);
                maintenance.Change(due, Timeout.InfiniteTimeSpan);
            }
        }
        // A full fence (not just a release): a write queued just before the release found a leader
        // and did not take the lead itself, and the look at the queue must not be read ahead of it.
        Interlocked.Exchange(ref leading, 0);
        if (!queue.IsEmpty && Interlocked.CompareExchange(ref leading, 1, 0) == 0)
        {
            // On this thread's own queue: it takes the batch as soon as it has sent its caller's
            // answer, unless an idle thread steals it first, instead of waiting behind every session's work.
            ThreadPool.UnsafeQueueUserWorkItem(static self => _ = self.LeadAsync(null), this, preferLocal: true);
        }
    }

    void OnMaintenance(object? state)
    {
        // Fired (timers may fire a little early): nothing is scheduled now, whoever hands over next schedules.
        Interlocked.Exchange(ref maintenanceAt, 0);
        if (Interlocked.CompareExchange(ref leading, 1, 0) == 0)
            _ = MaintainAsync();
        // else a leader is writing: its hand-over schedules the next maintenance
    }

    async Task MaintainAsync()
    {
        if (unsyncedSince is { } since && Stopwatch.GetElapsedTime(since) >= SyncDelay)
        {
            // state changes waiting for their fsync and nothing else to write: sync now
            await SyncSoonAsync();
        }
        else if (unsyncedSince is null && writer is not null && Stopwatch.GetElapsedTime(Volatile.Read(ref lastUse)) >= WriterIdle)
        {
            // nothing to write for a while: let the connection go back to the pool
            await CloseWriterAsync();
        }
        HandOver();
    }

    /// <summary>The leader's connection, open while writes keep coming, with its statements kept prepared.</summary>
    DataConnection? writer;

    /// <summary>How long the writer connection stays open with nothing to write.</summary>
    TimeSpan WriterIdle => database.Settings.WriterIdle;

    /// <summary>The writer connection's <c>synchronous</c> setting: FULL (true) or NORMAL.</summary>
    bool syncing = true;

    /// <summary>When the oldest commit that is not yet fsynced was made; null when everything is on disk.</summary>
    long? unsyncedSince;

    TimeSpan SyncDelay => database.Settings.StateSyncDelay;

    /// <summary>Whether some acknowledged state change is in the log but not yet fsynced.</summary>
    public bool HasUnsynced => unsyncedSince is not null;

    async Task<DataConnection> WriterAsync()
    {
        Volatile.Write(ref lastUse, Stopwatch.GetTimestamp());
        if (writer is null)
        {
            writer = await database.OpenAsync();
            syncing = true; // Database.OpenAsync hands out connections with synchronous = FULL
        }
        return writer;
    }

    /// <summary>
    /// Lets the writer connection go back to the pool as it came, with synchronous = FULL: the next
    /// user of the connection (another writer included) counts on every commit being synced.
    /// </summary>
    async Task CloseWriterAsync()
    {
        if (writer is null)
            return;
        try
        {
            if (!syncing)
                await writer.RunAsync("PRAGMA synchronous = FULL", CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // not reset: the connection is closed instead of being pooled
            await writer.OpenDbConnection().CloseAsync();
        }
        await writer.DisposeAsync();
        writer = null;
    }

    async Task SetSyncingAsync(DataConnection db, bool full)
    {
        if (syncing == full)
            return;
        await db.RunAsync(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", CancellationToken.None);
        syncing = full;
    }

    /// <summary>
    /// Makes the commits that skipped their fsync durable: a checkpoint fsyncs the log before it
    /// copies it into the database. False when a reader kept part of the log from being copied;
    /// the log may then not have been fsynced, and the caller tries again shortly.
    /// </summary>
    async Task<bool> SyncAsync()
    {
        var db = await WriterAsync();
        var result = await db.ReadAsync("PRAGMA wal_checkpoint(PASSIVE)", r => (Busy: r.GetInt64(0), Log: r.GetInt64(1), Copied: r.GetInt64(2)), CancellationToken.None);
        if (result is not [var (busy, log, copied)] || busy != 0 || copied < log)
            return false;
        unsyncedSince = null;
        return true;
    }

    /// <summary>When maintenance is next due: when unsynced commits are, or when the idle writer connection is to be closed.</summary>
    TimeSpan WaitLimit()
    {
        if (unsyncedSince is { } since)
            return TimeSpan.FromTicks(Math.Max(0, (SyncDelay - Stopwatch.GetElapsedTime(since)).Ticks));
        return writer is null ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(0, (WriterIdle - Stopwatch.GetElapsedTime(Volatile.Read(ref lastUse))).Ticks));
    }

    /// <summary>Syncs, retrying for a little while when readers hold the log; a failure leaves it to the next commit.</summary>
    async Task SyncSoonAsync()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                if (await SyncAsync())
                    return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                await CloseWriterAsync();
            }
            if (!queue.IsEmpty)
                return; // the next batch decides whether it must fsync, and can do it for these too
            await Task.Delay(TimeSpan.FromMilliseconds(10));
        }
    }

    async Task CommitAsync(List<Write> batch)
    {
        // Only a batch of state changes may leave its fsync for later, and only while the oldest
        // unsynced commit is younger than the delay; any other commit fsyncs everything before it.
        var now = Stopwatch.GetTimestamp();
        var defer = SyncDelay > TimeSpan.Zero && batch.TrueForAll(w => w.StateOnly)
            && (unsyncedSince is not { } since || Stopwatch.GetElapsedTime(since, now) < SyncDelay);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var db = await WriterAsync();
                await SetSyncingAsync(db, !defer);
                await using (var transaction = await db.BeginTransactionAsync(database.WriteIsolation))
                {
                    if (batch.Count == 1)
                    {
                        // alone in its transaction: no savepoint needed, a failure rolls the transaction back
                        if (await RunAsync(db, batch[0]))
                            await transaction.CommitAsync();
                    }
                    else
                    {
                        foreach (var write in batch)
                            await RunInSavepointAsync(db, write);
                        await transaction.CommitAsync();
                    }
                }
                if (defer)
                    unsyncedSince ??= now;
                else
                    unsyncedSince = null;
                break;
            }
            catch (Exception e) when (attempt < MaxAttempts && Database.IsTransient(e))
            {
                // Another process held the database past the busy timeout; everything rolled back.
                await CloseWriterAsync();
                await Task.Delay(Random.Shared.Next(5, 20 * attempt));
            }
            catch (Exception e)
            {
                await CloseWriterAsync();
                foreach (var write in batch)
                    write.Fail(e);
                return;
            }
        }
        foreach (var write in batch)
        {
            if (write.Error is null)
                foreach (var (storeId, modseq) in write.ModSeqs)
                    notifier.Publish(new StoreChanged(storeId, modseq));
            write.Complete();
        }
    }

    async Task RunInSavepointAsync(DataConnection db, Write write)
    {
        await db.RunAsync("SAVEPOINT rookery_write", CancellationToken.None);
        if (!await RunAsync(db, write))
            await db.RunAsync("ROLLBACK TO rookery_write", CancellationToken.None);
        await db.RunAsync("RELEASE rookery_write", CancellationToken.None);
    }

    /// <summary>Runs one write; false (and its <see cref="Write.Error"/> set) when it failed and must be undone.</summary>
    async Task<bool> RunAsync(DataConnection db, Write write)
    {
        write.Reset();
        try
        {
            var modseqs = await StoreWriter.TakeModSeqsAsync(db, database.Engine, write.StoreIds, write.CancellationToken);
            await write.RunAsync(db, modseqs);
            write.ModSeqs = modseqs;
            return true;
        }
        catch (Exception e) when (!Database.IsTransient(e))
        {
            write.Error = e;
            return false;
        }
    }

    abstract class Write(long[] storeIds, bool stateOnly, CancellationToken cancellationToken)
    {
        public long[] StoreIds { get; } = storeIds;
        public bool StateOnly { get; } = stateOnly;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public IReadOnlyDictionary<long, long> ModSeqs { get; set; } = new Dictionary<long, long>();
        public Exception? Error { get; set; }

        public void Reset()
        {
            Error = null;
            ModSeqs = new Dictionary<long, long>();
        }

        /// <summary>Committed, failed or cancelled: its task has its outcome.</summary>
        public abstract bool IsDone { get; }

        public abstract Task RunAsync(DataConnection db, IReadOnlyDictionary<long, long> modseqs);
        public abstract void Complete();
        public abstract void Fail(Exception error);
    }

    sealed class Write<T>(long[] storeIds, Func<DataConnection, IReadOnlyDictionary<long, long>, Task<T>> body, bool stateOnly, CancellationToken cancellationToken)
        : Write(storeIds, stateOnly, cancellationToken)
    {
        readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        T? result;

        public Task<T> Task => completion.Task;

        public override bool IsDone => completion.Task.IsCompleted;

        public override async Task RunAsync(DataConnection db, IReadOnlyDictionary<long, long> modseqs) => result = await body(db, modseqs);

        public override void Complete()
        {
            if (Error is { } error)
                Fail(error);
            else
                completion.TrySetResult(result!);
        }

        public override void Fail(Exception error)
        {
            if (error is OperationCanceledException && CancellationToken.IsCancellationRequested)
                completion.TrySetCanceled(CancellationToken);
            else
                completion.TrySetException(error);
        }
    }
}
