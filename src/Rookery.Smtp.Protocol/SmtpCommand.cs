namespace Rookery.Smtp.Protocol;

/// <summary>A parsed SMTP or LMTP command.</summary>
public abstract record SmtpCommand
{
    /// <summary>HELO, EHLO or LHLO.</summary>
    public sealed record Hello(string Verb, string Domain) : SmtpCommand;

    /// <summary>MAIL FROM; <see cref="ReversePath"/> is empty for the null path &lt;&gt;.</summary>
    public sealed record Mail(string ReversePath, long? Size, BodyType Body, IReadOnlyDictionary<string, string?> Parameters) : SmtpCommand;

    public sealed record Rcpt(string ForwardPath, IReadOnlyDictionary<string, string?> Parameters) : SmtpCommand;

    public sealed record Data : SmtpCommand;

    public sealed record Rset : SmtpCommand;

    public sealed record Noop : SmtpCommand;

    public sealed record Quit : SmtpCommand;

    public sealed record Vrfy(string Argument) : SmtpCommand;

    public sealed record StartTls : SmtpCommand;
}

public enum BodyType
{
    SevenBit,
    EightBitMime,
    BinaryMime,
}
