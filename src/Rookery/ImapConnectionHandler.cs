using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Rookery.Common;
using Rookery.Common.Tls;
using Rookery.Imap;

namespace Rookery;

/// <summary>Runs an IMAP session on each connection of an imap_listen (STARTTLS) or imaps_listen (implicit TLS) address.</summary>
public sealed class ImapConnectionHandler(ImapServices services, X509Certificate2 certificate, bool implicitTls, bool disablePlaintextAuth, ConnectionCounter perAddress, ILogger<ImapSession> log) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = connection.RemoteEndPoint as IPEndPoint;
        var address = remote?.Address.ToString() ?? "local";
        if (!perAddress.TryEnter(address))
        {
            log.LogWarning("Refused an IMAP connection from {Address}: too many connections", address);
            await connection.Transport.Output.WriteAsync("* BYE Too many connections from your address\r\n"u8.ToArray());
            return;
        }
        try
        {
            var transport = connection.Transport;
            if (implicitTls)
                transport = await TlsUpgrade.AuthenticateAsServerAsync(transport, certificate, connection.ConnectionClosed);
            var loopback = remote is null || IPAddress.IsLoopback(remote.Address);
            var info = new ImapConnection(address, implicitTls, !disablePlaintextAuth || implicitTls || loopback);
            using var session = new ImapSession(transport, services, info,
                implicitTls ? null : (pipe, ct) => TlsUpgrade.AuthenticateAsServerAsync(pipe, certificate, ct), log);
            await session.RunAsync(connection.ConnectionClosed);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException or System.Security.Authentication.AuthenticationException)
        {
            log.LogDebug("IMAP connection {Id} ended: {Reason}", connection.ConnectionId, e.Message);
        }
        finally
        {
            perAddress.Leave(address);
        }
    }
}
