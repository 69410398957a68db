using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Rookery.Common.Configuration;
using Rookery.Directory;
using Rookery.Hosting;

namespace Rookery.Components;

/// <summary>IMAP and POP3, with STARTTLS/STLS, and IMAPS and POP3S with TLS from the first byte.</summary>
sealed class GatewayComponent : IRookeryComponent
{
    /// <param name="certificate">IMAPS, POP3S, STARTTLS and STLS's: <see cref="Certificate"/>.</param>
    public GatewayComponent(ServerRuntime runtime, ComponentConfig gateway, string hostName, Authenticator authenticator, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var loggers = runtime.Loggers;
        var perAddress = new Common.ConnectionCounter(gateway.GetInt("imap_max_connections_per_address"));
        var maxMessage = gateway.GetInt("imap_max_message_size") * 1024L * 1024;
        var imap = new Imap.ImapServices(runtime.Store, runtime.UserStores, authenticator, new Imap.ImapOptions
        {
            HostName = hostName,
            OnlyMailFolders = gateway.GetBool("imap_only_mailfolders"),
            IdleTimeout = TimeSpan.FromMinutes(gateway.GetInt("imap_idle_timeout")),
            LoginTimeout = TimeSpan.FromSeconds(gateway.GetInt("imap_login_timeout")),
            MaxBadCommands = gateway.GetInt("imap_max_bad_commands"),
            Limits = new Imap.Protocol.ParserLimits
            {
                MaxLineLength = gateway.GetInt("imap_max_line_length"),
                MaxLiteralSize = maxMessage,
                MaxNonSyncLiteralSize = maxMessage,
                MaxNesting = gateway.GetInt("imap_max_nesting"),
            },
        }, new Common.ConnectionCounter(gateway.GetInt("imap_max_connections_per_user")), new Store.AccountQuotaPolicy(runtime.Directory, runtime.ServerQuota),
            runtime.FolderAccess, runtime.Directory);
        var pop3 = new Pop3.Pop3Services(runtime.Store, runtime.UserStores, authenticator, new Pop3.Pop3Options
        {
            HostName = hostName,
            MaxLineLength = gateway.GetInt("pop3_max_line_length"),
            IdleTimeout = TimeSpan.FromMinutes(gateway.GetInt("pop3_idle_timeout")),
            LoginTimeout = TimeSpan.FromSeconds(gateway.GetInt("pop3_login_timeout")),
            MaxBadCommands = gateway.GetInt("pop3_max_bad_commands"),
        });
        var imapLog = loggers.CreateLogger<Imap.ImapSession>();
        var pop3Log = loggers.CreateLogger<Pop3.Pop3Session>();

        async Task RunImap(IDuplexPipe pipe, MailConnection c, CancellationToken ct)
        {
            using var session = new Imap.ImapSession(pipe, imap, new Imap.ImapConnection(c.ClientAddress, c.Secure, c.PlaintextAuthAllowed) { AcknowledgeNow = c.AcknowledgeNow, Stopping = c.Stopping }, c.StartTls, imapLog);
            await session.RunAsync(ct);
        }

        async Task RunPop3(IDuplexPipe pipe, MailConnection c, CancellationToken ct)
        {
            using var session = new Pop3.Pop3Session(pipe, pop3, new Pop3.Pop3Connection(c.ClientAddress, c.Secure, c.PlaintextAuthAllowed) { Stopping = c.Stopping }, c.StartTls, pop3Log);
            await session.RunAsync(ct);
        }

        var disablePlaintext = gateway.GetBool("disable_plaintext_auth");
        MailListenerOptions Options(string protocol, bool implicitTls) => new(protocol)
        {
            Certificate = certificate,
            ImplicitTls = implicitTls,
            DisablePlaintextAuth = disablePlaintext,
            PerAddress = perAddress,
            TooManyConnections = protocol == "POP3" ? "-ERR [SYS/TEMP] Too many connections from your address\r\n"u8.ToArray() : "* BYE Too many connections from your address\r\n"u8.ToArray(),
        };
        var services = new (string Service, MailListenerOptions Options, MailSession Session)[]
        {
            ("imap", Options("IMAP", false), RunImap),
            ("imaps", Options("IMAP", true), RunImap),
            ("pop3", Options("POP3", false), RunPop3),
            ("pop3s", Options("POP3", true), RunPop3),
        };
        MailListeners = [.. services.SelectMany(s => GatewayListeners.Resolve(gateway, s.Service).Select(address => new MailListener(s.Service, address, s.Options, s.Session)))];
    }

    /// <summary>The gateway's certificate: ssl_certificate_file and ssl_private_key_file, or the self-signed one in the data directory.</summary>
    public static System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate(ComponentConfig gateway, RookeryPaths paths, string hostName) =>
        Common.Tls.CertificateSource.Load(gateway.GetString("ssl_certificate_file"), gateway.GetString("ssl_private_key_file"), paths.DataDirectory, hostName);

    public string Name => "gateway";

    public ComponentSchema Schema => ConfigSchema.Gateway;

    public IReadOnlyList<MailListener> MailListeners { get; }
}
