using System.Text;
using Rookery.Imap.Protocol;

namespace Rookery.Imap.Mime;

/// <summary>
/// Writes header-derived octets as IMAP strings. Header octets need not be ASCII or even UTF-8, so they are
/// written as they are: quoted when that is allowed, else as a literal (8-bit octets before UTF8=ACCEPT, CR,
/// LF, or an unusually long value).
/// </summary>
internal static class ImapOctetStrings
{
    /// <summary>Longer values go as literals, as <see cref="ImapWriter.String"/> does.</summary>
    const int MaxQuotedLength = 1024;

    /// <summary>A string, or NIL for null.</summary>
    public static ImapWriter NString(this ImapWriter writer, byte[]? value) =>
        value is null ? writer.Raw("NIL"u8) : writer.OctetString(value);

    /// <summary>
    /// A string meant to be read by people (a subject, a display name): runs of whitespace and line breaks
    /// become one space and the ends are trimmed, as Dovecot does, so clients show the same text.
    /// </summary>
    public static ImapWriter HumanNString(this ImapWriter writer, byte[]? value) =>
        value is null ? writer.Raw("NIL"u8) : writer.OctetString(CollapseWhitespace(value));

    public static ImapWriter OctetString(this ImapWriter writer, ReadOnlySpan<byte> value)
    {
        if (IsQuotable(value, writer.Utf8))
            return Quoted(writer, value);
        if (value.Contains((byte)0))
        {
            // A literal must not hold NUL (RFC 9051 §4.3); 0x80 stands in, as Dovecot does for bodies.
            var copy = value.ToArray();
            copy.AsSpan().Replace((byte)0, (byte)0x80);
            return writer.Literal(copy);
        }
        return writer.Literal(value);
    }

    static bool IsQuotable(ReadOnlySpan<byte> value, bool utf8)
    {
        if (value.Length > MaxQuotedLength || value.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
            return false;
        if (Ascii.IsValid(value))
            return true;
        return utf8 && System.Text.Unicode.Utf8.IsValid(value);
    }

    static ImapWriter Quoted(ImapWriter writer, ReadOnlySpan<byte> value)
    {
        writer.Raw("\""u8);
        while (true)
        {
            var special = value.IndexOfAny((byte)'"', (byte)'\\');
            if (special < 0)
                break;
            writer.Raw(value[..special]).Raw("\\"u8).Raw(value.Slice(special, 1));
            value = value[(special + 1)..];
        }
        return writer.Raw(value).Raw("\""u8);
    }

    static byte[] CollapseWhitespace(byte[] value)
    {
        var output = new OctetBuilder(value.Length);
        var pendingSpace = false;
        var changed = false;
        foreach (var c in value)
        {
            if (c is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                changed |= c != (byte)' ' || pendingSpace || output.Length == 0;
                pendingSpace = output.Length > 0;
                continue;
            }
            if (pendingSpace)
                output.Append((byte)' ');
            pendingSpace = false;
            output.Append(c);
        }
        return changed || pendingSpace ? output.ToArray() : value;
    }
}
