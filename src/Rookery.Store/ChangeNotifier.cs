using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace Rookery.Store;

public interface IChangeNotifier
{
    /// <summary>Subscribes to committed changes of one store; dispose the subscription to leave.</summary>
    ChangeSubscription Subscribe(long storeId);

    void Publish(StoreChanged change);
}

/// <summary>
/// In-process fan-out of committed changes, keyed by store. A subscriber that falls behind
/// only needs the newest modseq, so each subscription keeps a single pending notification.
/// </summary>
public sealed class ChangeNotifier : IChangeNotifier
{
    readonly ConcurrentDictionary<long, ConcurrentDictionary<ChangeSubscription, byte>> subscribers = new();

    public ChangeSubscription Subscribe(long storeId) => Subscribe(storeId, null);

    /// <summary>Subscribes, with an action to run when the subscription ends.</summary>
    public ChangeSubscription Subscribe(long storeId, Action? onDispose)
    {
        var subscription = new ChangeSubscription(storeId, this, onDispose);
        subscribers.GetOrAdd(storeId, _ => new()).TryAdd(subscription, 0);
        return subscription;
    }

    public void Publish(StoreChanged change)
    {
        if (!subscribers.TryGetValue(change.StoreId, out var set))
            return;
        foreach (var subscription in set.Keys)
            subscription.Post(change);
    }

    internal void Remove(ChangeSubscription subscription)
    {
        if (subscribers.TryGetValue(subscription.StoreId, out var set))
            set.TryRemove(subscription, out _);
    }
}

public sealed class ChangeSubscription : IDisposable
{
    readonly NewestChange newest = new();
    readonly ChangeNotifier owner;
    readonly Action? onDispose;
    int disposed;

    internal ChangeSubscription(long storeId, ChangeNotifier owner, Action? onDispose)
    {
        StoreId = storeId;
        this.owner = owner;
        this.onDispose = onDispose;
    }

    public long StoreId { get; }

    public ChannelReader<StoreChanged> Reader => newest;

    internal void Post(StoreChanged change) => newest.Post(change);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        owner.Remove(this);
        newest.Complete();
        onDispose?.Invoke();
    }

    /// <summary>
    /// A channel of capacity one that keeps the newest change, the one with the highest modseq (like a
    /// bounded channel with DropOldest and a single reader, in about a sixth of its memory: an IMAP
    /// server holds one per idle connection).
    /// The waiter is made only while the reader waits.
    /// </summary>
    sealed class NewestChange : ChannelReader<StoreChanged>
    {
        readonly Lock gate = new();
        StoreChanged? pending;
        bool completed;
        TaskCompletionSource<bool>? waiter;

        public override bool CanPeek => true;

        public override bool TryRead([MaybeNullWhen(false)] out StoreChanged item)
        {
            lock (gate)
            {
                item = pending;
                pending = null;
            }
            return item is not null;
        }

        public override bool TryPeek([MaybeNullWhen(false)] out StoreChanged item)
        {
            lock (gate)
                item = pending;
            return item is not null;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
                return ValueTask.FromCanceled<bool>(cancellationToken);
            Task<bool> task;
            lock (gate)
            {
                if (pending is not null)
                    return new ValueTask<bool>(true);
                if (completed)
                    return new ValueTask<bool>(false);
                waiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                task = waiter.Task;
            }
            return new ValueTask<bool>(cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task);
        }

        public void Post(StoreChanged change)
        {
            TaskCompletionSource<bool>? wake;
            lock (gate)
            {
                // the newest is the highest modseq: commits of one store may be published out of order
                if (completed || (pending is not null && pending.ModSeq >= change.ModSeq))
                    return;
                pending = change;
                wake = waiter;
                waiter = null;
            }
            wake?.TrySetResult(true);
        }

        public void Complete()
        {
            TaskCompletionSource<bool>? wake;
            lock (gate)
            {
                completed = true;
                wake = waiter;
                waiter = null;
            }
            wake?.TrySetResult(false);
        }
    }
}
