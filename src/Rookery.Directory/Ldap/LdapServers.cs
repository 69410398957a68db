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
        if (scheme is not ("ldap" or "ldaps") || !System.Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new FormatException($"'{text}' is not an LDAP URI (ldap://host:port, ldaps://host:port or ldapi:///)");
        return new LdapServerUri(scheme, uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? (scheme == "ldaps" ? 636 : 389) : uri.Port);
    }

    /// <summary>Whether connections to this server are encrypted with TLS from the start (ldaps://) or after StartTLS.</summary>
    public bool UsesTls(bool startTls) => Scheme == "ldaps" || (startTls && Scheme == "ldap");

    /// <summary>The URI libldap connects to.</summary>
    public string Uri => Scheme == "ldapi" ? Host : $"{Scheme}://{Host}:{Port}/";

    public override string ToString() => Scheme == "ldapi" ? Host : $"{Scheme}://{Host}:{Port}";
}

/// <summary>How to reach the directory: ldap_uri, ldap_starttls, ldap_tls_cacert, ldap_bind_user/passwd, ldap_network_timeout, ldap_pool_size.</summary>
public sealed record LdapConnectionSettings
{
    public required IReadOnlyList<LdapServerUri> Servers { get; init; }
    public bool StartTls { get; init; }
    /// <summary>PEM file of the CAs a server certificate must chain to; empty = libldap's TLS_CACERT (ldap.conf, LDAPTLS_CACERT).</summary>
    public string CaFile { get; init; } = "";
    public string BindDn { get; init; } = "";
    public string BindPassword { get; init; } = "";
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    public int PoolSize { get; init; } = 10;
}

/// <summary>Connections opened, search requests and password-check binds of one <see cref="LdapServers"/>.</summary>
public sealed record LdapOperationCounts(long ConnectionsOpened, long Requests, long UserBinds);

/// <summary>
/// The LDAP servers of ldap_uri with a pool of bound connections. A server that does not answer
/// is skipped for the next one in the list; when none answers, <see cref="DirectoryUnavailableException"/>.
/// Connections are only ever used for reading. Password checks by bind have a pool of their own
/// (<see cref="CheckBindAsync"/>): a connection re-bound as a user is never handed out for searches.
/// </summary>
public sealed class LdapServers : IDisposable
{
    readonly LdapConnectionSettings settings;
    readonly ILogger log;
    readonly ConcurrentBag<Pooled> idle = [];
    readonly ConcurrentBag<Pooled> idleForBinds = [];
    readonly SemaphoreSlim slots;
    int idleForBindsCount;
    long connectionsOpened, requests, userBinds;
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

    /// <summary>What this pool has asked of the servers so far: for diagnostics and tests.</summary>
    public LdapOperationCounts Counts => new(Interlocked.Read(ref connectionsOpened), Interlocked.Read(ref requests), Interlocked.Read(ref userBinds));

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
                Interlocked.Increment(ref requests);
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
    /// <remarks>
    /// The bind runs on a connection of the password-check pool, which is only ever used for binds:
    /// after a check it is bound as that user, or unbound (anonymous) after a failed one, and the next
    /// check binds it anew. Nothing is remembered: every check is a bind on the server.
    /// </remarks>
    public async Task<bool> CheckBindAsync(string dn, string password, CancellationToken cancellationToken)
    {
        if (dn.Length == 0 || password.Length == 0)
            return false; // an empty password is an unauthenticated bind, which "succeeds"
        Interlocked.Increment(ref userBinds);
        for (var attempt = 0; ; attempt++)
        {
            // A retry binds on a new connection, whatever another check has put back meanwhile.
            if (attempt > 0 || !TakeIdleForBind(out var pooled))
            {
                try
                {
                    pooled = await ConnectAsync(dn, password, cancellationToken);
                }
                catch (InvalidCredentialsException)
                {
                    return false;
                }
                KeepForBinds(pooled);
                return true;
            }
            try
            {
                var connection = pooled.Connection;
                await Task.Run(() => connection.Bind(new NetworkCredential(dn, password)), cancellationToken).WaitAsync(settings.Timeout, cancellationToken);
                KeepForBinds(pooled);
                return true;
            }
            catch (LdapException e) when (e.ErrorCode == 49)
            {
                KeepForBinds(pooled); // now anonymous; it still only ever serves binds
                return false;
            }
            catch (Exception e) when (attempt == 0 && (e is LdapException or TimeoutException || IsConnectionFailure(e)))
            {
                // An idle connection the server has closed: the others may be as stale; bind on a new one.
                log.LogDebug("LDAP bind on a kept connection to {Server} failed ({Error}); retrying on a new connection", settings.Servers[pooled.Server], e.Message);
                pooled.Connection.Dispose();
                DropIdleForBinds();
            }
            catch
            {
                pooled.Connection.Dispose();
                throw;
            }
        }
    }

    bool TakeIdleForBind(out Pooled pooled)
    {
        if (idleForBinds.TryTake(out pooled!))
        {
            Interlocked.Decrement(ref idleForBindsCount);
            return true;
        }
        return false;
    }

    /// <summary>Keeps at most ldap_pool_size connections for password checks; more are closed.</summary>
    void KeepForBinds(Pooled pooled)
    {
        if (Volatile.Read(ref disposed))
        {
            pooled.Connection.Dispose();
            return;
        }
        if (Interlocked.Increment(ref idleForBindsCount) > settings.PoolSize)
        {
            Interlocked.Decrement(ref idleForBindsCount);
            pooled.Connection.Dispose();
            return;
        }
        idleForBinds.Add(pooled);
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
                    if (settings.StartTls && server.Scheme == "ldap")
                        bind.SessionOptions.StartTransportLayerSecurity(null); // before the bind, which may carry a password
                    if (dn.Length == 0)
                        bind.Bind();
                    else
                        bind.Bind(new NetworkCredential(dn, password));
                }, cancellationToken).WaitAsync(settings.Timeout, cancellationToken);
                Interlocked.Increment(ref connectionsOpened);
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
                var tlsProblem = e is LdapException { ErrorCode: 81 or 91 } && server.UsesTls(settings.StartTls)
                    ? await TlsDiagnosis.ExplainAsync(server, settings.StartTls && server.Scheme == "ldap", settings.CaFile, settings.Timeout, cancellationToken)
                    : null;
                errors.Add(tlsProblem is null ? $"{server}: {e.Message}" : $"{server}: TLS failed: {tlsProblem}");
            }
        }
        throw new DirectoryUnavailableException("no LDAP server answers: " + string.Join("; ", errors));
    }

    LdapConnection Open(LdapServerUri server, bool anonymous)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        // The identifier is not what the connection uses: LibLdap gives libldap the URI itself.
        var connection = new LdapConnection(new LdapDirectoryIdentifier(server.Scheme == "ldapi" ? "localhost" : server.Host, server.Port, fullyQualifiedDnsHostName: false, connectionless: false))
        {
            AuthType = anonymous ? AuthType.Anonymous : AuthType.Basic,
            Timeout = settings.Timeout,
        };
        try
        {
            connection.SessionOptions.ProtocolVersion = 3;
            connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
            LibLdap.UseUri(connection, server.Uri, settings.Timeout);
            if (settings.CaFile.Length > 0 && server.UsesTls(settings.StartTls))
                LibLdap.TrustCaFile(connection, settings.CaFile);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    void DropIdle()
    {
        while (idle.TryTake(out var stale))
            stale.Connection.Dispose();
    }

    void DropIdleForBinds()
    {
        while (TakeIdleForBind(out var stale))
            stale.Connection.Dispose();
    }

    static bool IsConnectionFailure(Exception e) =>
        e is TimeoutException || e is LdapException { ErrorCode: 51 or 52 or 81 or 85 or 91 } || e is DirectoryOperationException { Response.ResultCode: ResultCode.Busy or ResultCode.Unavailable };

    public void Dispose()
    {
        Volatile.Write(ref disposed, true);
        DropIdle();
        DropIdleForBinds();
        slots.Dispose();
    }
}
