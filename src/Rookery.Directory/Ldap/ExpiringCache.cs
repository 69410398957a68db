using System.Collections.Concurrent;

namespace Rookery.Directory.Ldap;

/// <summary>A bounded map whose entries expire: remembers directory lookups for a while.</summary>
public sealed class ExpiringCache<T>(TimeSpan lifetime, int capacity, TimeProvider time)
{
    readonly ConcurrentDictionary<string, (DateTimeOffset Expires, T Value)> entries = new(StringComparer.OrdinalIgnoreCase);

    public async Task<T> GetOrAddAsync(string key, Func<Task<T>> load)
    {
        if (lifetime <= TimeSpan.Zero)
            return await load();
        var now = time.GetUtcNow();
        if (entries.TryGetValue(key, out var entry) && entry.Expires > now)
            return entry.Value;
        var value = await load();
        if (entries.Count >= capacity)
            Trim(now);
        entries[key] = (now + lifetime, value);
        return value;
    }

    /// <summary>The remembered value of <paramref name="key"/>, if it has not expired.</summary>
    public bool TryGet(string key, out T value)
    {
        if (lifetime > TimeSpan.Zero && entries.TryGetValue(key, out var entry) && entry.Expires > time.GetUtcNow())
        {
            value = entry.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Remembers <paramref name="value"/> for the lifetime, from now.</summary>
    public void Set(string key, T value)
    {
        if (lifetime <= TimeSpan.Zero)
            return;
        var now = time.GetUtcNow();
        if (entries.Count >= capacity)
            Trim(now);
        entries[key] = (now + lifetime, value);
    }

    public void Remove(string key) => entries.TryRemove(key, out _);

    public void Clear() => entries.Clear();

    void Trim(DateTimeOffset now)
    {
        foreach (var (key, entry) in entries)
            if (entry.Expires <= now)
                entries.TryRemove(key, out _);
        // Still full: drop the entries closest to expiry, a quarter at a time.
        if (entries.Count >= capacity)
            foreach (var key in entries.OrderBy(e => e.Value.Expires).Take(Math.Max(1, capacity / 4)).Select(e => e.Key).ToList())
                entries.TryRemove(key, out _);
    }
}
