using System.Buffers;
using System.Globalization;
using System.Text;

namespace Rookery.Smtp.Protocol;

public enum ParseStatus
{
    /// <summary>No complete command yet; call again with more bytes.</summary>
    NeedMoreData,
    Command,
    /// <summary>The line was not a valid command; send the error reply and go on.</summary>
    Error,
}

/// <summary>
/// Incremental parser of SMTP/LMTP command lines (RFC 5321 §4.1, RFC 2033). A line longer
/// than the limit gets one error and is skipped to its end, never buffered whole.
/// </summary>
public sealed class SmtpCommandParser(int maxLineLength = 512)
{
    bool discarding;

    public ParseStatus TryParse(ref SequenceReader<byte> reader, out SmtpCommand? command, out SmtpReply? error)
    {
        command = null;
        error = null;
        while (true)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n', advancePastDelimiter: true))
            {
                if (reader.Remaining > maxLineLength || discarding)
                {
                    // Keep nothing of an over-long line; report it once.
                    reader.Advance(reader.Remaining);
                    if (!discarding)
                    {
                        discarding = true;
                        error = SmtpReply.LineTooLong;
                        return ParseStatus.Error;
                    }
                }
                return ParseStatus.NeedMoreData;
            }
            if (discarding)
            {
                discarding = false; // the tail of a line already answered
                continue;
            }
            if (line.Length + 1 > maxLineLength)
            {
                error = SmtpReply.LineTooLong;
                return ParseStatus.Error;
            }
            var text = Encoding.UTF8.GetString(line).TrimEnd('\r');
            return Parse(text, out command, out error) ? ParseStatus.Command : ParseStatus.Error;
        }
    }

    /// <summary>Parses one command line without its line ending.</summary>
    public static bool Parse(string line, out SmtpCommand? command, out SmtpReply? error)
    {
        command = null;
        error = null;
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
        var argument = space < 0 ? "" : line[(space + 1)..].Trim();
        switch (verb)
        {
            case "HELO" or "EHLO" or "LHLO":
                if (argument.Length == 0 || argument.Contains(' ', StringComparison.Ordinal))
                {
                    error = SmtpReply.ParameterError($"Syntax: {verb} domain");
                    return false;
                }
                command = new SmtpCommand.Hello(verb, argument);
                return true;
            case "MAIL":
                return ParseMail(argument, out command, out error);
            case "RCPT":
                return ParseRcpt(argument, out command, out error);
            case "DATA":
                return NoArgument(verb, argument, new SmtpCommand.Data(), out command, out error);
            case "RSET":
                return NoArgument(verb, argument, new SmtpCommand.Rset(), out command, out error);
            case "QUIT":
                return NoArgument(verb, argument, new SmtpCommand.Quit(), out command, out error);
            case "STARTTLS":
                return NoArgument(verb, argument, new SmtpCommand.StartTls(), out command, out error);
            case "NOOP":
                command = new SmtpCommand.Noop(); // an argument is allowed and ignored
                return true;
            case "VRFY":
                if (argument.Length == 0)
                {
                    error = SmtpReply.ParameterError("Syntax: VRFY address");
                    return false;
                }
                command = new SmtpCommand.Vrfy(argument);
                return true;
            default:
                error = new SmtpReply(500, "5.5.1", "Command unrecognized");
                return false;
        }
    }

    static bool NoArgument(string verb, string argument, SmtpCommand parsed, out SmtpCommand? command, out SmtpReply? error)
    {
        command = null;
        error = null;
        if (argument.Length > 0)
        {
            error = SmtpReply.ParameterError($"Syntax: {verb} takes no arguments");
            return false;
        }
        command = parsed;
        return true;
    }

    static bool ParseMail(string argument, out SmtpCommand? command, out SmtpReply? error)
    {
        command = null;
        if (!TryPath(argument, "FROM:", allowNull: true, out var path, out var rest))
        {
            error = new SmtpReply(501, "5.1.7", "Syntax: MAIL FROM:<address>");
            return false;
        }
        if (!TryParameters(rest, out var parameters, out error))
            return false;
        long? size = null;
        if (parameters.TryGetValue("SIZE", out var sizeText))
        {
            if (!long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                error = SmtpReply.ParameterError("SIZE must be a number of octets");
                return false;
            }
            size = parsed;
        }
        var body = BodyType.SevenBit;
        if (parameters.TryGetValue("BODY", out var bodyText))
        {
            switch (bodyText?.ToUpperInvariant())
            {
                case "7BIT": body = BodyType.SevenBit; break;
                case "8BITMIME": body = BodyType.EightBitMime; break;
                case "BINARYMIME": body = BodyType.BinaryMime; break;
                default:
                    error = SmtpReply.ParameterError("BODY must be 7BIT or 8BITMIME");
                    return false;
            }
        }
        command = new SmtpCommand.Mail(path, size, body, parameters);
        return true;
    }

    static bool ParseRcpt(string argument, out SmtpCommand? command, out SmtpReply? error)
    {
        command = null;
        if (!TryPath(argument, "TO:", allowNull: false, out var path, out var rest))
        {
            error = new SmtpReply(501, "5.1.3", "Syntax: RCPT TO:<address>");
            return false;
        }
        if (!TryParameters(rest, out var parameters, out error))
            return false;
        command = new SmtpCommand.Rcpt(path, parameters);
        return true;
    }

    /// <summary>Reads <c>FROM:&lt;path&gt;</c>: the path without brackets and source route, and what follows.</summary>
    static bool TryPath(string argument, string prefix, bool allowNull, out string path, out string rest)
    {
        path = "";
        rest = "";
        if (!argument.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            return false;
        var text = argument[prefix.Length..].TrimStart();
        if (!text.StartsWith('<'))
            return false;
        // The closing bracket, skipping quoted local parts that may contain one.
        var quoted = false;
        var close = -1;
        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && quoted) { i++; continue; }
            if (c == '"') quoted = !quoted;
            else if (c == '>' && !quoted) { close = i; break; }
        }
        if (close < 0)
            return false;
        var inner = text[1..close];
        rest = text[(close + 1)..].Trim();
        if (rest.Length > 0 && text[close + 1] != ' ')
            return false;
        if (inner.Length == 0)
            return allowNull;
        if (inner.StartsWith('@'))
        {
            // A source route (<@relay:user@domain>) is ignored, as RFC 5321 §4.1.2 says.
            var colon = inner.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
                return false;
            inner = inner[(colon + 1)..];
        }
        if (!IsMailbox(inner, allowPostmaster: !allowNull))
            return false;
        path = inner;
        return true;
    }

    static bool IsMailbox(string mailbox, bool allowPostmaster)
    {
        if (allowPostmaster && mailbox.Equals("postmaster", StringComparison.OrdinalIgnoreCase))
            return true;
        var at = mailbox.LastIndexOf('@');
        if (at <= 0 || at == mailbox.Length - 1)
            return false;
        var local = mailbox[..at];
        var domain = mailbox[(at + 1)..];
        if (local.Length > 64 && !local.StartsWith('"') || domain.Length > 255)
            return false;
        if (!local.StartsWith('"') && (local.Any(c => c <= ' ' || c is '<' or '>' or '(' or ')' or '[' or ']' or ',' or ';' or ':' or '\\' or '"') || local.Contains("..", StringComparison.Ordinal) || local.StartsWith('.') || local.EndsWith('.')))
            return false;
        if (domain.StartsWith('['))
            return domain.EndsWith(']');
        return domain.All(c => char.IsLetterOrDigit(c) || c is '-' or '.' or '_') && !domain.StartsWith('.') && !domain.EndsWith('.') && !domain.Contains("..", StringComparison.Ordinal);
    }

    static bool TryParameters(string text, out Dictionary<string, string?> parameters, out SmtpReply? error)
    {
        parameters = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        error = null;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? word : word[..equals];
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                error = new SmtpReply(501, "5.5.4", $"Malformed parameter '{word}'");
                return false;
            }
            if (!parameters.TryAdd(key, equals < 0 ? null : word[(equals + 1)..]))
            {
                error = new SmtpReply(501, "5.5.4", $"Parameter {key} given twice");
                return false;
            }
        }
        return true;
    }
}
