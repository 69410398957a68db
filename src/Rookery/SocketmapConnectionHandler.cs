using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Rookery.Dagent.Socketmap;

namespace Rookery;

/// <summary>Answers Postfix's socketmap lookups on each connection Kestrel accepts on a postfix_socketmap_listen address.</summary>
public sealed class SocketmapConnectionHandler(PostfixMaps maps, SocketmapLimits limits, ILogger<SocketmapSession> log) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        // A stop ends the session at its next wait: what was acknowledged is durable, and the client retries the rest.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, GatewayConnectionHandler.Stopping(connection));
        try
        {
            await new SocketmapSession(connection.Transport, maps, limits, log).RunAsync(ending.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException)
        {
            log.LogDebug("socketmap connection {Id} ended: {Reason}", connection.ConnectionId, e.Message);
        }
    }
}
