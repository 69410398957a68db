using System.Buffers;
using Rookery.Common.Sasl;
using Rookery.Directory;
using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>CAPABILITY, LOGOUT, ID, ENABLE, LOGIN and AUTHENTICATE.</summary>
public sealed partial class ImapSession
{
    string Capabilities()
    {
        var caps = new List<string> { "IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "MOVE", "CHILDREN", "SPECIAL-USE", "CONDSTORE", "QRESYNC", "ESEARCH", "CONTEXT=SEARCH", "NOTIFY", "SEARCHRES", "STATUS=SIZE", "LIST-EXTENDED", "LIST-STATUS", "QUOTA", "QUOTA=RES-STORAGE", "UTF8=ACCEPT", "MULTIAPPEND", "CATENATE", "SORT", "SORT=DISPLAY", "ESORT", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "BINARY", "ACL", "RIGHTS=texk" };
        if (State == SessionState.NotAuthenticated)
        {
            if (startTls is not null && !connection.Secure)
                caps.Add("STARTTLS");
            if (connection.PlaintextAuthAllowed)
                caps.AddRange(SaslMechanisms.PasswordMechanisms.Select(m => "AUTH=" + m));
            else
                caps.Add("LOGINDISABLED");
            // a bearer token is no password: offered on every connection where the server takes tokens
            if (services.Authenticator.AcceptsTokens)
                caps.AddRange(SaslMechanisms.TokenMechanisms.Select(m => "AUTH=" + m));
        }
        caps.Insert(1, "IMAP4rev2"); // beside IMAP4rev1: a session speaks rev1 until ENABLE IMAP4rev2 (RFC 9051 Appendix E)
        caps.Add($"APPENDLIMIT={Options.Limits.MaxLiteralSize}");
        return string.Join(' ', caps);
    }

    Task<string?> CapabilityAsync(ImapCommandLine command)
    {
        ExpectArguments(command, 0);
        writer.Untagged("CAPABILITY " + Capabilities());
        return Task.FromResult<string?>(null);
    }

    /// <summary>RFC 9051 §6.2.1: the tagged OK goes out in plaintext, then the handshake starts.</summary>
    Task<string?> StartTlsAsync(ImapCommandLine command)
    {
        ExpectArguments(command, 0);
        if (startTls is null || connection.Secure)
            throw Bad(connection.Secure ? "TLS is already active" : "STARTTLS is not available");
        tlsRequested = true;
        return Task.FromResult<string?>("Begin TLS negotiation now");
    }

    Task<string?> LogoutAsync(ImapCommandLine command)
    {
        ExpectArguments(command, 0);
        writer.Untagged("BYE Logging out");
        State = SessionState.Logout;
        return Task.FromResult<string?>(null);
    }

    /// <summary>RFC 2971: logs what the client says about itself, answers with the server's name.</summary>
    Task<string?> IdAsync(ImapCommandLine command)
    {
        ExpectArguments(command, 1);
        if (command.Arguments[0] is ImapList fields && fields.Items.Count is > 0 and <= 60)
            log.LogClientId(string.Join(' ', fields.Items.Select(i => i is ImapString s ? s.Text : i.ToString())));
        writer.Untagged("ID (\"name\" \"Rookery\")");
        return Task.FromResult<string?>(null);
    }

    Task<string?> EnableAsync(ImapCommandLine command)
    {
        ExpectArguments(command, 1, int.MaxValue);
        var enabled = new List<string>();
        foreach (var argument in command.Arguments)
        {
            // Unknown or unsupported names are ignored, as RFC 5161 says; each is reported once.
            switch (Atom(argument).ToUpperInvariant())
            {
                case "CONDSTORE" when !condStore:
                    EnableCondStore();
                    enabled.Add("CONDSTORE");
                    break;
                case "UTF8=ACCEPT" when !utf8Accept:
                    utf8Accept = true;
                    writer.Utf8 = true;
                    enabled.Add("UTF8=ACCEPT");
                    break;
                case "IMAP4REV2" when !imap4rev2:
                    EnableImap4rev2();
                    enabled.Add("IMAP4rev2");
                    break;
                case "QRESYNC" when !qResync:
                    if (!condStore)
                        EnableCondStore();
                    qResync = true;
                    enabled.Add("QRESYNC");
                    break;
            }
        }
        writer.Untagged("ENABLED" + string.Concat(enabled.Select(e => " " + e)));
        return Task.FromResult<string?>(null);
    }

    async Task<string?> LoginAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 2);
        if (!connection.PlaintextAuthAllowed)
            throw No("Plaintext authentication is disallowed on an unencrypted connection; use STARTTLS or port 993", "PRIVACYREQUIRED");
        await LogInAsync(new SaslCredentials("", AString(command.Arguments[0]), AString(command.Arguments[1])), cancellationToken);
        return "completed";
    }

    async Task<string?> AuthenticateAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 1, 2);
        var name = Atom(command.Arguments[0]);
        var mechanism = SaslMechanisms.Create(name, services.Authenticator.AcceptsTokens)
            ?? throw No($"Unsupported authentication mechanism {Printable(name)}");
        if (!connection.PlaintextAuthAllowed && SaslMechanisms.PasswordMechanisms.Contains(mechanism.Name))
            throw No("Plaintext authentication is disallowed on an unencrypted connection; use STARTTLS or port 993", "PRIVACYREQUIRED");
        var step = mechanism.Start(command.Arguments.Count == 2 ? AString(command.Arguments[1]) : null);
        while (step is SaslStep.Challenge challenge)
            step = mechanism.Respond(await ChallengeAsync(challenge.Base64, cancellationToken));
        if (step is SaslStep.Malformed malformed)
            throw Bad(malformed.Reason);
        await LogInAsync(((SaslStep.Completed)step).Credentials, cancellationToken);
        return "completed";
    }

    /// <summary>Sends a SASL challenge and reads the client's response line; "*" cancels (RFC 9051 §6.2.2).</summary>
    async Task<string> ChallengeAsync(string challenge, CancellationToken cancellationToken)
    {
        writer.Continuation(challenge);
        await FlushAsync(cancellationToken);
        var line = await ReadLineAsync(cancellationToken) ?? throw new IOException("connection closed during AUTHENTICATE");
        if (line == "*")
            throw Bad("Authentication cancelled");
        return line;
    }

    /// <summary>Reads one raw line from the client (SASL responses, IDLE's DONE); null when the connection closed.</summary>
    async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var input = transport.Input;
        while (true)
        {
            var read = await input.ReadAsync(cancellationToken);
            var reader = new SequenceReader<byte>(read.Buffer);
            var status = parser.TryReadLine(ref reader, out var line, out var error);
            input.AdvanceTo(reader.Position, status == ParseStatus.NeedMoreData ? read.Buffer.End : reader.Position);
            if (status == ParseStatus.Command)
                return line;
            if (status == ParseStatus.Error)
                throw Bad(error!.Text);
            if (read.IsCompleted)
                return null;
        }
    }

    async Task LogInAsync(SaslCredentials credentials, CancellationToken cancellationToken)
    {
        var result = await services.Authenticator.LoginAsync(credentials, Features.Imap, "IMAP", connection.ClientAddress, cancellationToken);
        if (result.Outcome != LoginOutcome.Success)
        {
            throw No(result.Outcome.Describe("IMAP"), result.Outcome switch
            {
                LoginOutcome.FeatureDisabled or LoginOutcome.NotActive => "CONTACTADMIN",
                LoginOutcome.Unavailable => "UNAVAILABLE",
                LoginOutcome.AuthorizationFailed => "AUTHORIZATIONFAILED",
                _ => "AUTHENTICATIONFAILED",
            });
        }
        if (!services.UserSessions.TryEnter(result.User!.Login))
            throw No($"Too many IMAP connections for this user (at most {services.UserSessions.Limit})", "LIMIT");
        user = result.User;
        userStore = new UserMailStore(services.Store, services.Access, user);
        store = await services.Users.EnsureStoreAsync(user, cancellationToken);
        changes = Store.Notifier.Subscribe(store.Id);
        State = SessionState.Authenticated;
        completionCode = "CAPABILITY " + Capabilities();
    }
}
