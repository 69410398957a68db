using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using Rookery.Common;
using Rookery.Common.Tls;

namespace Rookery.Hosting;

/// <summary>What a mail session (IMAP, POP3, LMTP, socketmap) needs to know about its connection before it starts.</summary>
/// <param name="StartTls">Puts TLS over the connection (STARTTLS, STLS); null on an implicit-TLS listener or one without a certificate.</param>
/// <param name="AcknowledgeNow">Sends the TCP acknowledgement of what has arrived now rather than after the delayed-ACK timer; null when not on TCP.</param>
/// <param name="Stopping">The server is stopping: a session waiting for its client's next command says goodbye and ends.</param>
public sealed record MailConnection(string ClientAddress, bool Secure, bool PlaintextAuthAllowed, Func<IDuplexPipe, CancellationToken, Task<IDuplexPipe>>? StartTls,
    Action? AcknowledgeNow = null, CancellationToken Stopping = default);

/// <summary>Runs one protocol session over an accepted connection.</summary>
public delegate Task MailSession(IDuplexPipe transport, MailConnection connection, CancellationToken cancellationToken);

/// <summary>How a mail listener treats its connections before the protocol's session starts.</summary>
/// <param name="Protocol">The protocol's name in the log.</param>
public sealed record MailListenerOptions(string Protocol)
{
    /// <summary>The certificate for implicit TLS and STARTTLS; null: no TLS on this listener.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>TLS from the first byte (imaps, pop3s).</summary>
    public bool ImplicitTls { get; init; }

    /// <summary>Passwords only over TLS, or from this machine (disable_plaintext_auth).</summary>
    public bool DisablePlaintextAuth { get; init; }

    /// <summary>The connections one client address may hold; null: no limit.</summary>
    public ConnectionCounter? PerAddress { get; init; }

    /// <summary>What the protocol says to a client refused for having too many connections (IMAP's BYE, POP3's -ERR).</summary>
    public ReadOnlyMemory<byte> TooManyConnections { get; init; }
}

/// <summary>
/// Accepts connections on one mail listener: the per-address limit, implicit TLS, the plaintext-authentication
/// policy, then the protocol's session; a connection that ends badly is logged, never thrown to Kestrel.
/// </summary>
public sealed class MailConnectionHandler(MailListenerOptions options, MailSession session, ILogger log) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = connection.RemoteEndPoint as IPEndPoint;
        var address = remote?.Address.ToString() ?? "local";
        var protocol = options.Protocol;
        var perAddress = options.PerAddress;
        if (perAddress is not null && !perAddress.TryEnter(address))
        {
            log.LogWarning("Refused a {Protocol} connection from {Address}: too many connections", protocol, address);
            await connection.Transport.Output.WriteAsync(options.TooManyConnections);
            return;
        }
        TlsUpgrade.Secured? tls = null;
        try
        {
            var transport = connection.Transport;
            var certificate = options.Certificate;
            var implicitTls = options.ImplicitTls && certificate is not null;
            if (implicitTls)
                transport = tls = await TlsUpgrade.AuthenticateAsServerAsync(transport, certificate!, connection.ConnectionClosed);
            // Like Dovecot, connections from this machine count as secure enough for a password.
            var loopback = remote is null || IPAddress.IsLoopback(remote.Address);
            var info = new MailConnection(address, implicitTls, !options.DisablePlaintextAuth || implicitTls || loopback,
                implicitTls || certificate is null ? null : async (pipe, ct) => tls = await TlsUpgrade.AuthenticateAsServerAsync(pipe, certificate, ct),
                QuickAck(connection), Stopping(connection));
            await session(transport, info, connection.ConnectionClosed);
            // TLS ends with its close_notify before the connection closes (RFC 8446 §6.1): without it,
            // OpenSSL 3 clients report the end of the session as an error ("unexpected eof")
            if (tls is not null)
                await tls.CloseAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException or System.Security.Authentication.AuthenticationException)
        {
            log.LogDebug("{Protocol} connection {Id} ended: {Reason}", protocol, connection.ConnectionId, e.Message);
        }
        finally
        {
            if (tls is not null)
                await tls.DisposeAsync();
            perAddress?.Leave(address);
        }
    }

    /// <summary>Fires when Kestrel asks the connection to close (the server is stopping); it aborts the connection only after the host's shutdown timeout.</summary>
    static CancellationToken Stopping(ConnectionContext connection) =>
        connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;

    static readonly byte[] One = BitConverter.GetBytes(1);

    /// <summary>Sets TCP_QUICKACK (Linux; it lasts until the kernel's next ACK decision) on a TCP connection's socket.</summary>
    static Action? QuickAck(ConnectionContext connection)
    {
        if (!OperatingSystem.IsLinux() || connection.Features.Get<IConnectionSocketFeature>()?.Socket is not { ProtocolType: ProtocolType.Tcp } socket)
            return null;
        return () =>
        {
            try
            {
                socket.SetRawSocketOption(IpProtocolTcp, TcpQuickAck, One);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // closed under us: nothing to acknowledge
            }
        };
    }

    const int IpProtocolTcp = 6;
    const int TcpQuickAck = 12;
}
