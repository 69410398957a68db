using Microsoft.Extensions.Logging;
using Rookery.Common.Configuration;
using Rookery.Hosting;

namespace Rookery.Components;

/// <summary>LMTP delivery on lmtp_listen, and Postfix's lookup tables on postfix_socketmap_listen.</summary>
sealed class DagentComponent : IRookeryComponent
{
    public DagentComponent(ServerRuntime runtime, ComponentConfig dagent, string hostName)
    {
        var loggers = runtime.Loggers;
        var agent = runtime.CreateDeliveryAgent(dagent);
        var limits = new Dagent.LmtpLimits
        {
            MaxMessageSize = dagent.GetInt("max_message_size") * 1024L * 1024,
            MaxRecipients = dagent.GetInt("lmtp_max_recipients"),
            IdleTimeout = TimeSpan.FromSeconds(dagent.GetInt("lmtp_idle_timeout")),
            SpoolDirectory = Path.Combine(runtime.Paths.DataDirectory, "spool"),
        };
        var lmtpLog = loggers.CreateLogger<Dagent.LmtpSession>();
        async Task Lmtp(System.IO.Pipelines.IDuplexPipe pipe, MailConnection connection, CancellationToken cancellationToken)
        {
            using var session = new Dagent.LmtpSession(pipe, agent, hostName, limits, lmtpLog);
            await session.RunAsync(cancellationToken, connection.Stopping);
        }

        var maps = new Dagent.Socketmap.PostfixMaps(runtime.Directory, dagent.GetBool("expand_groups"), loggers.CreateLogger<Dagent.Socketmap.PostfixMaps>());
        var socketmapLog = loggers.CreateLogger<Dagent.Socketmap.SocketmapSession>();
        async Task Socketmap(System.IO.Pipelines.IDuplexPipe pipe, MailConnection connection, CancellationToken cancellationToken)
        {
            // a stop ends the session at its next wait: what was answered is answered, and Postfix asks again
            using var ending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Stopping);
            await new Dagent.Socketmap.SocketmapSession(pipe, maps, new Dagent.Socketmap.SocketmapLimits(), socketmapLog).RunAsync(ending.Token);
        }

        var lmtpPermissions = UnixSocketPermissions.From(dagent, "lmtp_socket_mode", "lmtp_socket_group");
        var socketmapPermissions = UnixSocketPermissions.From(dagent, "postfix_socketmap_socket_mode", "postfix_socketmap_socket_group");
        MailListeners =
        [
            .. dagent.GetListen("lmtp_listen").Select(l => new MailListener("lmtp", l, new MailListenerOptions("LMTP"), Lmtp) { Permissions = lmtpPermissions }),
            .. dagent.GetListen("postfix_socketmap_listen").Select(l => new MailListener("socketmap", l, new MailListenerOptions("socketmap"), Socketmap) { Permissions = socketmapPermissions }),
        ];
    }

    public string Name => "dagent";

    public ComponentSchema Schema => ConfigSchema.Dagent;

    public IReadOnlyList<MailListener> MailListeners { get; }
}
