using System.Collections.Concurrent;
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
    readonly Channel<StoreChanged> channel = Channel.CreateBounded<StoreChanged>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
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

    public ChannelReader<StoreChanged> Reader => channel.Reader;

    internal void Post(StoreChanged change) => channel.Writer.TryWrite(change);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        owner.Remove(this);
        channel.Writer.TryComplete();
        onDispose?.Invoke();
    }
}
