namespace Rookery.Common.Sasl;

/// <summary>What a client proved who it is with: a password, or a bearer token (OAUTHBEARER, XOAUTH2).</summary>
public enum CredentialKind
{
    Password,
    BearerToken,
}

/// <param name="AuthorizationId">Who the client wants to act as; empty: the one it authenticates as.</param>
/// <param name="Login">Who it authenticates as; for a bearer token, who it says the token is for (may be empty).</param>
/// <param name="Secret">The password or the token.</param>
public sealed record SaslCredentials(string AuthorizationId, string Login, string Secret, CredentialKind Kind = CredentialKind.Password)
{
    public override string ToString() => $"{Kind} credentials for {Login}"; // never the secret
}

/// <summary>One step of a SASL exchange, as every protocol (IMAP, POP3, SMTP) carries it.</summary>
public abstract record SaslStep
{
    /// <summary>Send this challenge (base64 already, possibly empty) and feed the client's response line to <see cref="ISaslMechanism.Respond"/>.</summary>
    public sealed record Challenge(string Base64) : SaslStep;

    /// <summary>The exchange is done: log in with these.</summary>
    public sealed record Completed(SaslCredentials Credentials) : SaslStep;

    /// <summary>The client's response was malformed (the protocol's syntax error: IMAP BAD, POP3 -ERR, SMTP 501).</summary>
    public sealed record Malformed(string Reason) : SaslStep;
}

/// <summary>A server-side SASL mechanism: a small state machine fed the client's base64 responses.</summary>
public interface ISaslMechanism
{
    string Name { get; }

    /// <summary>The first step, with the client's initial response when it sent one (IMAP SASL-IR, POP3 and SMTP AUTH's argument).</summary>
    SaslStep Start(string? initialResponse);

    SaslStep Respond(string response);
}

/// <summary>
/// The mechanisms Rookery speaks, shared by IMAP, POP3 and SMTP submission: PLAIN (RFC 4616) and LOGIN with
/// passwords; OAUTHBEARER (RFC 7628) and XOAUTH2 with bearer tokens, offered only where a token validator is
/// configured (an OpenID Connect issuer).
/// </summary>
public static class SaslMechanisms
{
    public static IReadOnlyList<string> PasswordMechanisms { get; } = ["PLAIN", "LOGIN"];

    public static IReadOnlyList<string> TokenMechanisms { get; } = ["OAUTHBEARER", "XOAUTH2"];

    /// <summary>The mechanism called <paramref name="name"/> (any case), or null when Rookery does not speak it or <paramref name="tokens"/> is off.</summary>
    public static ISaslMechanism? Create(string name, bool tokens = false) => name.ToUpperInvariant() switch
    {
        "PLAIN" => new Plain(),
        "LOGIN" => new Login(),
        "OAUTHBEARER" when tokens => new OAuthBearer(),
        "XOAUTH2" when tokens => new XOAuth2(),
        _ => null,
    };

    sealed class Plain : ISaslMechanism
    {
        public string Name => "PLAIN";

        public SaslStep Start(string? initialResponse) => initialResponse is null ? new SaslStep.Challenge("") : Respond(initialResponse);

        public SaslStep Respond(string response) =>
            SaslPlain.TryDecode(response, out var authorizationId, out var login, out var password)
                ? new SaslStep.Completed(new SaslCredentials(authorizationId, login, password))
                : new SaslStep.Malformed("Invalid SASL PLAIN response");
    }

    /// <summary>The LOGIN mechanism Outlook and older clients use: user name, then password, each asked for.</summary>
    sealed class Login : ISaslMechanism
    {
        string? login;

        public string Name => "LOGIN";

        public SaslStep Start(string? initialResponse) =>
            initialResponse is null ? new SaslStep.Challenge(SaslPlain.Base64("Username:")) : Respond(initialResponse);

        public SaslStep Respond(string response)
        {
            if (!SaslPlain.TryBase64(response, out var text))
                return new SaslStep.Malformed("Invalid base64");
            if (login is null)
            {
                login = text;
                return new SaslStep.Challenge(SaslPlain.Base64("Password:"));
            }
            return new SaslStep.Completed(new SaslCredentials("", login, text));
        }
    }

    /// <summary>RFC 7628: <c>n,a=user,^Aauth=Bearer token^A^A</c> (the GS2 header's authzid is the user).</summary>
    sealed class OAuthBearer : ISaslMechanism
    {
        public string Name => "OAUTHBEARER";

        public SaslStep Start(string? initialResponse) => initialResponse is null ? new SaslStep.Challenge("") : Respond(initialResponse);

        public SaslStep Respond(string response)
        {
            if (!SaslPlain.TryBase64(response, out var text))
                return new SaslStep.Malformed("Invalid base64");
            var parts = text.Split('\x01');
            var header = parts[0].Split(',');
            if (header.Length < 2 || header[0] is not ("n" or "y"))
                return new SaslStep.Malformed("Invalid OAUTHBEARER GS2 header");
            var user = header[1].StartsWith("a=", StringComparison.Ordinal) ? header[1][2..].Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal) : "";
            return (SaslStep?)Token(parts.Skip(1), user) ?? new SaslStep.Malformed("OAUTHBEARER carries no auth=Bearer token");
        }
    }

    /// <summary>Google's XOAUTH2: <c>user=name^Aauth=Bearer token^A^A</c>.</summary>
    sealed class XOAuth2 : ISaslMechanism
    {
        public string Name => "XOAUTH2";

        public SaslStep Start(string? initialResponse) => initialResponse is null ? new SaslStep.Challenge("") : Respond(initialResponse);

        public SaslStep Respond(string response)
        {
            if (!SaslPlain.TryBase64(response, out var text))
                return new SaslStep.Malformed("Invalid base64");
            var parts = text.Split('\x01');
            var user = parts.FirstOrDefault(p => p.StartsWith("user=", StringComparison.Ordinal))?[5..] ?? "";
            return (SaslStep?)Token(parts, user) ?? new SaslStep.Malformed("XOAUTH2 carries no auth=Bearer token");
        }
    }

    static SaslStep.Completed? Token(IEnumerable<string> pairs, string user)
    {
        foreach (var pair in pairs)
        {
            if (pair.StartsWith("auth=", StringComparison.OrdinalIgnoreCase) && pair[5..].Split(' ', 2) is [var scheme, var token]
                && scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) && token.Length > 0)
                return new SaslStep.Completed(new SaslCredentials("", user, token.Trim(), CredentialKind.BearerToken));
        }
        return null;
    }
}
