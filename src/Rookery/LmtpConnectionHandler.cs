using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Rookery.Dagent;

namespace Rookery;

/// <summary>Runs an LMTP session on each connection Kestrel accepts on an lmtp_listen address.</summary>
public sealed class LmtpConnectionHandler(DeliveryAgent agent, string hostName, LmtpLimits limits, ILogger<LmtpSession> log) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        try
        {
            using var session = new LmtpSession(connection.Transport, agent, hostName, limits, log);
            await session.RunAsync(connection.ConnectionClosed, GatewayConnectionHandler.Stopping(connection));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException)
        {
            log.LogDebug("LMTP connection {Id} ended: {Reason}", connection.ConnectionId, e.Message);
        }
    }
}
