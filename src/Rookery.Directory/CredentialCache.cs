using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Rookery.Directory;

/// <summary>How long verified and refused passwords are remembered, and in how much memory (auth_cache_* in server.cfg).</summary>
public sealed record CredentialCacheSettings
{
    /// <summary>Roughly the memory the cache may use; 0 turns it off.</summary>
    public long SizeBytes { get; init; } = 1024 * 1024;
    public TimeSpan Ttl { get; init; } = TimeSpan.FromHours(1);
    public TimeSpan NegativeTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>What one entry costs, key, value and the dictionary's share, rounded up.</summary>
    public const int EntryBytes = 96;
    public int MaxEntries => (int)Math.Min(int.MaxValue, SizeBytes / EntryBytes);
}

/// <summary>
/// Remembers the outcome of recent password checks, so that a client logging in again and again (a phone
/// polling with a new connection each time, a mail client's many connections) costs one slow hash per
/// TTL instead of one per login — what Dovecot's auth cache does.
/// </summary>
/// <remarks>
/// An entry is found by an HMAC-SHA256, under a key made at random when the process starts, of the login,
/// the password and the stored hash it was checked against. Memory holds neither passwords nor anything
/// that reveals one without guessing. Since the stored hash is part of the key, a changed password (or a
/// removed account) misses every entry made before: nothing has to be told to forget. A refused password is
/// remembered too (auth_cache_negative_ttl); the caller still delays and counts the failure as it would.
/// </remarks>
public sealed class CredentialCache(CredentialCacheSettings settings, TimeProvider time)
{
    readonly byte[] key = RandomNumberGenerator.GetBytes(32);
    readonly Dictionary<Digest, Entry> entries = [];
    readonly Lock gate = new();

    readonly record struct Digest(UInt128 High, UInt128 Low);
    readonly record struct Entry(bool Verified, long ExpiresAt);

    public static CredentialCache Disabled { get; } = new(new CredentialCacheSettings { SizeBytes = 0 }, TimeProvider.System);

    public int Count
    {
        get { lock (gate) return entries.Count; }
    }

    /// <summary>
    /// Whether <paramref name="password"/> matches <paramref name="storedHash"/>: remembered when it was
    /// checked within the TTL, else <paramref name="verify"/> decides and is remembered.
    /// </summary>
    public bool Verify(string login, string password, string storedHash, Func<string, string, bool> verify)
    {
        if (settings.MaxEntries == 0)
            return verify(password, storedHash);
        var digest = DigestOf(login, password, storedHash);
        var now = time.GetTimestamp();
        lock (gate)
        {
            if (entries.TryGetValue(digest, out var entry))
            {
                if (entry.ExpiresAt > now)
                    return entry.Verified;
                entries.Remove(digest);
            }
        }
        var verified = verify(password, storedHash);
        var ttl = verified ? settings.Ttl : settings.NegativeTtl;
        if (ttl > TimeSpan.Zero)
            Remember(digest, new Entry(verified, now + (long)(ttl.TotalSeconds * time.TimestampFrequency)), now);
        return verified;
    }

    void Remember(Digest digest, Entry entry, long now)
    {
        lock (gate)
        {
            if (entries.Count >= settings.MaxEntries && !entries.ContainsKey(digest))
                MakeRoom(now);
            entries[digest] = entry;
        }
    }

    /// <summary>Drops what has expired and, when that is not a quarter of the cache, the entries nearest to expiring.</summary>
    void MakeRoom(long now)
    {
        foreach (var (digest, entry) in entries)
        {
            if (entry.ExpiresAt <= now)
                entries.Remove(digest);
        }
        var quarter = Math.Max(1, settings.MaxEntries / 4);
        if (settings.MaxEntries - entries.Count >= quarter)
            return;
        foreach (var (digest, _) in entries.OrderBy(e => e.Value.ExpiresAt).Take(quarter).ToList())
            entries.Remove(digest);
    }

    Digest DigestOf(string login, string password, string storedHash)
    {
        // the three as UTF-8, each ended by a NUL (which none of them can hold), into one HMAC
        var length = Encoding.UTF8.GetByteCount(login) + Encoding.UTF8.GetByteCount(password) + Encoding.UTF8.GetByteCount(storedHash) + 3;
        var input = length <= 1024 ? stackalloc byte[length] : new byte[length];
        var at = Encoding.UTF8.GetBytes(login, input);
        input[at++] = 0;
        at += Encoding.UTF8.GetBytes(password, input[at..]);
        input[at++] = 0;
        at += Encoding.UTF8.GetBytes(storedHash, input[at..]);
        input[at] = 0;
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, input, mac);
        CryptographicOperations.ZeroMemory(input);
        var halves = MemoryMarshal.Cast<byte, UInt128>(mac);
        return new Digest(halves[0], halves[1]);
    }
}
