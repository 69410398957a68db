using System.Threading.Channels;
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
/// its write is durable, so acknowledgements keep their meaning.
/// </remarks>
sealed class GroupCommit(Database database, IChangeNotifier notifier)
{
    /// <summary>The most writes one transaction takes: bounds how long the lock is held and the cost of a retry.</summary>
    const int MaxBatch = 64;
    const int MaxAttempts = 5;

    readonly Channel<Write> queue = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    readonly Lock startLock = new();
    Task? loop;

    public Task<T> RunAsync<T>(long[] storeIds, Func<DataConnection, IReadOnlyDictionary<long, long>, Task<T>> body, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var write = new Write<T>(storeIds.Distinct().Order().ToArray(), body, cancellationToken);
        EnsureStarted();
        if (!queue.Writer.TryWrite(write))
            throw new InvalidOperationException("the SQLite write queue is closed");
        return write.Task;
    }

    void EnsureStarted()
    {
        if (loop is not null)
            return;
        lock (startLock)
            loop ??= Task.Run(LoopAsync);
    }

    /// <summary>The loop's own connection, open while writes keep coming, with its statements kept prepared.</summary>
    DataConnection? writer;

    /// <summary>How long the writer connection stays open with nothing to write.</summary>
    static readonly TimeSpan WriterIdle = TimeSpan.FromSeconds(10);

    async Task<DataConnection> WriterAsync()
    {
        if (writer is null)
        {
            writer = await database.OpenAsync();
            writer.KeepStatements();
        }
        return writer;
    }

    async Task CloseWriterAsync()
    {
        if (writer is null)
            return;
        await writer.DisposeKeptAsync();
        await writer.DisposeAsync();
        writer = null;
    }

    async Task LoopAsync()
    {
        var batch = new List<Write>(MaxBatch);
        var idle = new CancellationTokenSource();
        while (true)
        {
            bool more;
            try
            {
                idle.CancelAfter(writer is null ? Timeout.InfiniteTimeSpan : WriterIdle);
                more = await queue.Reader.WaitToReadAsync(idle.Token);
                idle.CancelAfter(Timeout.InfiniteTimeSpan);
            }
            catch (OperationCanceledException)
            {
                // nothing to write for a while: let the connection go back to the pool
                idle.Dispose();
                idle = new CancellationTokenSource();
                await CloseWriterAsync();
                continue;
            }
            if (!more)
                break;
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var write))
            {
                if (write.CancellationToken.IsCancellationRequested)
                    write.Fail(new OperationCanceledException(write.CancellationToken));
                else
                    batch.Add(write);
            }
            if (batch.Count > 0)
                await CommitAsync(batch);
        }
    }

    async Task CommitAsync(List<Write> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var db = await WriterAsync();
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
            var modseqs = await SqlMailStore.TakeModSeqsAsync(db, database.Engine, write.StoreIds, write.CancellationToken);
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

    abstract class Write(long[] storeIds, CancellationToken cancellationToken)
    {
        public long[] StoreIds { get; } = storeIds;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public IReadOnlyDictionary<long, long> ModSeqs { get; set; } = new Dictionary<long, long>();
        public Exception? Error { get; set; }

        public void Reset()
        {
            Error = null;
            ModSeqs = new Dictionary<long, long>();
        }

        public abstract Task RunAsync(DataConnection db, IReadOnlyDictionary<long, long> modseqs);
        public abstract void Complete();
        public abstract void Fail(Exception error);
    }

    sealed class Write<T>(long[] storeIds, Func<DataConnection, IReadOnlyDictionary<long, long>, Task<T>> body, CancellationToken cancellationToken)
        : Write(storeIds, cancellationToken)
    {
        readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        T? result;

        public Task<T> Task => completion.Task;

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
