using System.Collections.Concurrent;
using System.DirectoryServices.Protocols;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Rookery.Directory.Ldap;

/// <summary>One entry of ldap_uri: ldap://host:port, ldaps://host:port or ldapi://socket.</summary>
public sealed record LdapServerUri(string Scheme, string Host, int Port)
{
    public static LdapServerUri Parse(string text)
    {
        var scheme = text.Split("://", 2) is [var s, _] ? s.ToLowerInvariant() : throw new FormatException($"'{text}' is not an LDAP URI (ldap://host:port, ldaps://host:port or ldapi:///)");
        if (scheme == "ldapi")
            return new LdapServerUri(scheme, text, 0);
        if (scheme is not ("ldap" or "ldaps") || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new FormatException($"'{text}' is not an LDAP URI (ldap://host:port, ldaps://host:port or ldapi:///)");
        return new LdapServerUri(scheme, uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? (scheme == "ldaps" ? 636 : 389) : uri.Port);
    }

    public override string ToString() => Scheme == "ldapi" ? Host : $"{Scheme}://{Host}:{Port}";
}

/// <summary>How to reach the directory: ldap_uri, ldap_starttls, ldap_bind_user/passwd, ldap_network_timeout, ldap_pool_size.</summary>
public sealed record LdapConnectionSettings
{
    public required IReadOnlyList<LdapServerUri> Servers { get; init; }
    public bool StartTls { get; init; }
    public string BindDn { get; init; } = "";
    public string BindPassword { get; init; } = "";
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    public int PoolSize { get; init; } = 10;
}

/// <summary>
/// The LDAP servers of ldap_uri with a pool of bound connections. A server that does not answer
/// is skipped for the next one in the list; when none answers, <see cref="DirectoryUnavailableException"/>.
/// Connections are only ever used for reading.
/// </summary>
public sealed class LdapServers : IDisposable
{
    readonly LdapConnectionSettings settings;
    readonly ILogger log;
    readonly ConcurrentBag<Pooled> idle = [];
    readonly SemaphoreSlim slots;
    int preferred; // index of the server that answered last
    bool disposed;

    sealed record Pooled(LdapConnection Connection, int Server);

    public LdapServers(LdapConnectionSettings settings, ILogger? logger = null)
    {
        if (settings.Servers.Count == 0)
            throw new ArgumentException("ldap_uri names no server", nameof(settings));
        this.settings = settings;
        log = logger ?? NullLogger.Instance;
        slots = new SemaphoreSlim(settings.PoolSize, settings.PoolSize);
    }

    /// <summary>Runs <paramref name="operation"/> on a pooled connection bound as ldap_bind_user; once more on another server if the first one fails.</summary>
    public async Task<T> RunAsync<T>(Func<LdapConnection, T> operation, CancellationToken cancellationToken)
    {
        if (!await slots.WaitAsync(settings.Timeout, cancellationToken))
            throw new DirectoryUnavailableException($"no LDAP connection free within {settings.Timeout.TotalSeconds:0} s (ldap_pool_size = {settings.PoolSize})");
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var pooled = idle.TryTake(out var existing) ? existing : await ConnectAsync(settings.BindDn, settings.BindPassword, cancellationToken);
                try
                {
                    var result = await Task.Run(() => operation(pooled.Connection), cancellationToken).WaitAsync(settings.Timeout + settings.Timeout, cancellationToken);
                    idle.Add(pooled);
                    return result;
                }
                catch (Exception e) when (IsConnectionFailure(e) && attempt == 0)
                {
                    // A pooled connection may have been closed by the server or a server may just have gone: retry once, fresh.
                    log.LogWarning("LDAP request to {Server} failed ({Error}); retrying on a new connection", settings.Servers[pooled.Server], e.Message);
                    pooled.Connection.Dispose();
                    DropIdle();
                }
                catch (Exception e) when (IsConnectionFailure(e))
                {
                    pooled.Connection.Dispose();
                    throw new DirectoryUnavailableException($"LDAP server {settings.Servers[pooled.Server]} failed: {e.Message}", e);
                }
                catch
                {
                    pooled.Connection.Dispose();
                    throw;
                }
            }
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// Whether <paramref name="dn"/> can bind with <paramref name="password"/>: true, false for wrong
    /// credentials, <see cref="DirectoryUnavailableException"/> when no server answers.
    /// </summary>
    public async Task<bool> CheckBindAsync(string dn, string password, CancellationToken cancellationToken)
    {
        if (dn.Length == 0 || password.Length == 0)
            return false; // an empty password is an unauthenticated bind, which "succeeds"
        try
        {
            var pooled = await ConnectAsync(dn, password, cancellationToken);
            pooled.Connection.Dispose();
            return true;
        }
        catch (InvalidCredentialsException)
        {
            return false;
        }
    }

    sealed class InvalidCredentialsException(Exception inner) : Exception(inner.Message, inner);

    async Task<Pooled> ConnectAsync(string dn, string password, CancellationToken cancellationToken)
    {
        var start = Volatile.Read(ref preferred);
        var errors = new List<string>();
        for (var i = 0; i < settings.Servers.Count; i++)
        {
            var index = (start + i) % settings.Servers.Count;
            var server = settings.Servers[index];
            LdapConnection? connection = null;
            try
            {
                connection = Open(server, anonymous: dn.Length == 0);
                var bind = connection;
                await Task.Run(() =>
                {
                    if (dn.Length == 0)
                        bind.Bind();
                    else
                        bind.Bind(new NetworkCredential(dn, password));
                }, cancellationToken).WaitAsync(settings.Timeout, cancellationToken);
                if (index != start)
                {
                    log.LogWarning("LDAP: using {Server} ({Failed} did not answer)", server, string.Join(", ", errors));
                    Volatile.Write(ref preferred, index);
                }
                return new Pooled(connection, index);
            }
            catch (LdapException e) when (e.ErrorCode == 49)
            {
                connection?.Dispose();
                throw new InvalidCredentialsException(e);
            }
            catch (Exception e) when (e is LdapException or System.DirectoryServices.Protocols.DirectoryException or TimeoutException or InvalidOperationException or PlatformNotSupportedException)
            {
                connection?.Dispose();
                errors.Add($"{server}: {e.Message}");
            }
        }
        throw new DirectoryUnavailableException("no LDAP server answers: " + string.Join("; ", errors));
    }

    LdapConnection Open(LdapServerUri server, bool anonymous)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var identifier = server.Scheme == "ldapi"
            ? new LdapDirectoryIdentifier(server.Host)
            : new LdapDirectoryIdentifier(server.Host, server.Port, fullyQualifiedDnsHostName: false, connectionless: false);
        var connection = new LdapConnection(identifier)
        {
            AuthType = anonymous ? AuthType.Anonymous : AuthType.Basic,
            Timeout = settings.Timeout,
        };
        connection.SessionOptions.ProtocolVersion = 3;
        connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
        if (server.Scheme == "ldaps")
            connection.SessionOptions.SecureSocketLayer = true;
        if (settings.StartTls && server.Scheme == "ldap")
            connection.SessionOptions.StartTransportLayerSecurity(null);
        return connection;
    }

    void DropIdle()
    {
        while (idle.TryTake(out var stale))
            stale.Connection.Dispose();
    }

    static bool IsConnectionFailure(Exception e) =>
        e is TimeoutException || e is LdapException { ErrorCode: 51 or 52 or 81 or 85 or 91 } || e is DirectoryOperationException { Response.ResultCode: ResultCode.Busy or ResultCode.Unavailable };

    public void Dispose()
    {
        disposed = true;
        DropIdle();
        slots.Dispose();
    }
}
