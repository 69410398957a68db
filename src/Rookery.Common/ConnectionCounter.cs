using System.Collections.Concurrent;

namespace Rookery.Common;

/// <summary>Counts open connections per key (a user, a client address) against a limit; 0 means no limit.</summary>
public sealed class ConnectionCounter(int limit)
{
    readonly ConcurrentDictionary<string, int> open = new(StringComparer.OrdinalIgnoreCase);

    public int Limit => limit;

    /// <summary>Takes a place for <paramref name="key"/>, or says there is none left.</summary>
    public bool TryEnter(string key)
    {
        while (true)
        {
            var current = open.GetOrAdd(key, 0);
            if (limit > 0 && current >= limit)
                return false;
            if (open.TryUpdate(key, current + 1, current))
                return true;
        }
    }

    public void Leave(string key)
    {
        while (open.TryGetValue(key, out var current))
        {
            if (current <= 1 ? open.TryRemove(new KeyValuePair<string, int>(key, current)) : open.TryUpdate(key, current - 1, current))
                return;
        }
    }

    public int Count(string key) => open.GetValueOrDefault(key);
}
