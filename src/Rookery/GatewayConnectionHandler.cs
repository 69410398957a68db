using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using Rookery.Common;
using Rookery.Common.Tls;

namespace Rookery;

/// <summary>What a gateway session needs to know about its connection before it starts.</summary>
/// <param name="StartTls">Puts TLS over the connection (STARTTLS, STLS); null on an implicit-TLS listener.</param>
/// <param name="AcknowledgeNow">Sends the TCP acknowledgement of what has arrived now rather than after the delayed-ACK timer; null when not on TCP.</param>
/// <param name="Stopping">The server is stopping: a session waiting for its client's next command says goodbye and ends.</param>
public sealed record GatewayConnection(string ClientAddress, bool Secure, bool PlaintextAuthAllowed, Func<IDuplexPipe, CancellationToken, Task<IDuplexPipe>>? StartTls,
    Action? AcknowledgeNow = null, CancellationToken Stopping = default);

/// <summary>
/// Accepts IMAP or POP3 connections on one listener: the per-address limit, implicit TLS on
/// imaps/pop3s listeners, the plaintext-authentication policy, then the protocol's session.
/// </summary>
public sealed class GatewayConnectionHandler(string protocol, X509Certificate2 certificate, bool implicitTls, bool disablePlaintextAuth, ConnectionCounter perAddress,
    Func<IDuplexPipe, GatewayConnection, CancellationToken, Task> runSession, ILogger log) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = connection.RemoteEndPoint as IPEndPoint;
        var address = remote?.Address.ToString() ?? "local";
        if (!perAddress.TryEnter(address))
        {
            log.LogWarning("Refused a {Protocol} connection from {Address}: too many connections", protocol, address);
            await connection.Transport.Output.WriteAsync(protocol == "POP3" ? "-ERR [SYS/TEMP] Too many connections from your address\r\n"u8.ToArray() : "* BYE Too many connections from your address\r\n"u8.ToArray());
            return;
        }
        TlsUpgrade.Secured? tls = null;
        try
        {
            var transport = connection.Transport;
            if (implicitTls)
                transport = tls = await TlsUpgrade.AuthenticateAsServerAsync(transport, certificate, connection.ConnectionClosed);
            // Like Dovecot, connections from this machine count as secure enough for a password.
            var loopback = remote is null || IPAddress.IsLoopback(remote.Address);
            var info = new GatewayConnection(address, implicitTls, !disablePlaintextAuth || implicitTls || loopback,
                implicitTls ? null : async (pipe, ct) => tls = await TlsUpgrade.AuthenticateAsServerAsync(pipe, certificate, ct), QuickAck(connection), Stopping(connection));
            await runSession(transport, info, connection.ConnectionClosed);
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
            perAddress.Leave(address);
        }
    }

    /// <summary>Fires when Kestrel asks the connection to close (the server is stopping); it aborts the connection only after the host's shutdown timeout.</summary>
    internal static CancellationToken Stopping(ConnectionContext connection) =>
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
