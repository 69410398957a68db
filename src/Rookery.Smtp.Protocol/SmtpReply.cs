using System.Buffers;
using System.Text;

namespace Rookery.Smtp.Protocol;

/// <summary>
/// A reply: a three-digit code, an optional enhanced status code (RFC 3463) and one or more
/// text lines, written as <c>250-first</c> … <c>250 last</c>.
/// </summary>
public sealed record SmtpReply(int Code, string? Enhanced, IReadOnlyList<string> Lines)
{
    public SmtpReply(int code, string? enhanced, string text) : this(code, enhanced, [text]) { }

    public bool IsPositive => Code is >= 200 and < 400;

    public void WriteTo(IBufferWriter<byte> output)
    {
        for (var i = 0; i < Lines.Count; i++)
        {
            var separator = i == Lines.Count - 1 ? ' ' : '-';
            var line = Enhanced is null || i > 0 && Lines[i].Length == 0
                ? $"{Code}{separator}{Lines[i]}\r\n"
                : $"{Code}{separator}{Enhanced} {Lines[i]}\r\n";
            Encoding.UTF8.GetBytes(line, output);
        }
    }

    public override string ToString()
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteTo(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // The replies every session needs, with RFC 3463 codes.
    public static SmtpReply Ok(string text = "Ok") => new(250, "2.0.0", text);
    public static SmtpReply SyntaxError(string text) => new(500, "5.5.2", text);
    public static SmtpReply ParameterError(string text) => new(501, "5.5.4", text);
    public static SmtpReply NotImplemented(string text) => new(502, "5.5.1", text);
    public static SmtpReply BadSequence(string text) => new(503, "5.5.1", text);
    public static SmtpReply LineTooLong { get; } = new(500, "5.5.2", "Line too long");
}
