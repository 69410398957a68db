using System.Buffers;
using System.Globalization;
using System.Text;

namespace Rookery.Imap.Protocol;

/// <summary>
/// Writes responses: raw text, numbers, strings quoted or as literals as their content needs,
/// mailbox names in modified UTF-7 (or UTF-8 once the client enabled UTF8=ACCEPT).
/// </summary>
public sealed class ImapWriter(IBufferWriter<byte> output)
{
    /// <summary>Set when the client enabled UTF8=ACCEPT (RFC 6855): strings and mailbox names go out as UTF-8.</summary>
    public bool Utf8 { get; set; }

    public ImapWriter Raw(string ascii)
    {
        Encoding.UTF8.GetBytes(ascii, output);
        return this;
    }

    public ImapWriter Raw(ReadOnlySpan<byte> bytes)
    {
        output.Write(bytes);
        return this;
    }

    public ImapWriter Space() => Raw(" "u8);

    public ImapWriter Number(long value) => Raw(value.ToString(CultureInfo.InvariantCulture));

    public ImapWriter EndLine() => Raw("\r\n"u8);

    /// <summary>A string: quoted when it can be, else a literal; null is NIL.</summary>
    public ImapWriter String(string? text)
    {
        if (text is null)
            return Raw("NIL"u8);
        if (text.Length <= 1024 && ImapSyntax.IsQuotable(text, Utf8))
            return Quoted(text);
        return Literal(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>An astring: an atom when it is one, else a string.</summary>
    public ImapWriter AString(string text) => ImapSyntax.IsAtom(text) && !text.Equals("NIL", StringComparison.OrdinalIgnoreCase) ? Raw(text) : String(text);

    public ImapWriter Quoted(string text)
    {
        var builder = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            if (c is '"' or '\\')
                builder.Append('\\');
            builder.Append(c);
        }
        return Raw(builder.Append('"').ToString());
    }

    public ImapWriter Literal(ReadOnlySpan<byte> content, bool binary = false)
    {
        LiteralHeader(content.Length, binary);
        return Raw(content);
    }

    /// <summary>"{n}" and CRLF ("~{n}" for binary content, RFC 3516); the caller writes the n octets.</summary>
    public ImapWriter LiteralHeader(long length, bool binary = false) =>
        Raw(binary ? "~{" : "{").Number(length).Raw("}\r\n"u8);

    /// <summary>A mailbox name as the client expects it: modified UTF-7, or UTF-8 after ENABLE UTF8=ACCEPT.</summary>
    public ImapWriter Mailbox(string name) => AString(Utf8 ? name : ModifiedUtf7.Encode(name));

    public ImapWriter Untagged(string text) => Raw("* ").Raw(text).EndLine();

    public ImapWriter Tagged(string tag, string status, string? code, string text)
    {
        Raw(tag).Space().Raw(status).Space();
        if (code is not null)
            Raw("[").Raw(code).Raw("] ");
        return Raw(text).EndLine();
    }

    public ImapWriter Continuation(string text) => Raw("+ ").Raw(text).EndLine();
}
