using System.Text;

namespace Rookery.Mime;

/// <summary>A Content-Transfer-Encoding as BINARY fetches see it (RFC 3516).</summary>
public enum TransferEncoding
{
    /// <summary>7bit, 8bit, binary, or none: the body is already what it says.</summary>
    Identity,
    QuotedPrintable,
    Base64,

    /// <summary>Anything else: the server cannot decode it, and says so with [UNKNOWN-CTE].</summary>
    Unknown,
}

/// <summary>Reads Content-Transfer-Encoding for BINARY and decodes quoted-printable and base64 bodies.</summary>
/// <remarks>
/// Decoding is lenient: octets that break the encoding are passed through (quoted-printable) or skipped
/// (base64) rather than failing the FETCH. Dovecot fails the command instead; a client is better served
/// by the part's content than by an error it cannot act on.
/// </remarks>
public static class TransferDecoding
{
    /// <summary>The part's encoding per its header; when the field repeats, the last one counts.</summary>
    public static TransferEncoding Of(ReadOnlySpan<byte> header)
    {
        var encoding = TransferEncoding.Identity;
        foreach (var field in HeaderFields.Of(header))
        {
            if (field.NameIs(header, "Content-Transfer-Encoding"u8))
                encoding = Parse(field.Value(header));
        }
        return encoding;
    }

    static TransferEncoding Parse(ReadOnlySpan<byte> value)
    {
        var reader = new Rfc822Reader(value);
        reader.SkipCfws();
        var token = new OctetBuilder(16);
        // Parameters are not allowed (RFC 2045 §6.1) but are tolerated; anything else after the token is not.
        if (reader.ReadMimeToken(token) == Scan.More && reader.Current != (byte)';')
            return TransferEncoding.Unknown;
        var name = token.Span;
        if (Ascii.EqualsIgnoreCase(name, "7bit"u8) || Ascii.EqualsIgnoreCase(name, "8bit"u8) || Ascii.EqualsIgnoreCase(name, "binary"u8))
            return TransferEncoding.Identity;
        if (Ascii.EqualsIgnoreCase(name, "quoted-printable"u8))
            return TransferEncoding.QuotedPrintable;
        if (Ascii.EqualsIgnoreCase(name, "base64"u8))
            return TransferEncoding.Base64;
        return TransferEncoding.Unknown;
    }

    /// <summary>
    /// Quoted-printable (RFC 2045 §6.7): =XX becomes the octet, "=" at a line end joins lines, whitespace at a
    /// line end is dropped, and line breaks come out as CRLF.
    /// </summary>
    public static void DecodeQuotedPrintable(ReadOnlySpan<byte> input, OctetBuilder output)
    {
        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            switch (c)
            {
                case (byte)'=':
                    if (i + 2 < input.Length && IsHex(input[i + 1]) && IsHex(input[i + 2]))
                    {
                        output.Append((byte)(HexValue(input[i + 1]) << 4 | HexValue(input[i + 2])));
                        i += 2;
                    }
                    else if (SoftLineBreakEnd(input, i + 1) is var end and >= 0)
                        i = end - 1;
                    else
                        output.Append(c);
                    break;
                case (byte)' ' or (byte)'\t':
                    var run = i;
                    while (run < input.Length && input[run] is (byte)' ' or (byte)'\t')
                        run++;
                    if (run < input.Length && input[run] is not ((byte)'\r' or (byte)'\n'))
                        output.Append(input[i..run]);
                    i = run - 1;
                    break;
                case (byte)'\r' when i + 1 < input.Length && input[i + 1] == (byte)'\n':
                    break; // the LF writes the line break
                case (byte)'\n':
                    output.Append("\r\n"u8);
                    break;
                default:
                    output.Append(c);
                    break;
            }
        }
    }

    /// <summary>After "=": optional whitespace then a line break (or the end); returns the offset after it, or -1.</summary>
    static int SoftLineBreakEnd(ReadOnlySpan<byte> input, int start)
    {
        var i = start;
        while (i < input.Length && input[i] is (byte)' ' or (byte)'\t')
            i++;
        if (i == input.Length)
            return i;
        if (input[i] == (byte)'\n')
            return i + 1;
        if (input[i] == (byte)'\r' && i + 1 < input.Length && input[i + 1] == (byte)'\n')
            return i + 2;
        return -1;
    }

    static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>Base64 (RFC 2045 §6.8): octets outside the alphabet are ignored; "=" ends a group, so concatenated encodings decode too.</summary>
    public static void DecodeBase64(ReadOnlySpan<byte> input, OctetBuilder output)
    {
        var bits = 0;
        var count = 0;
        foreach (var c in input)
        {
            var value = Base64Value(c);
            if (value < 0)
            {
                if (c == (byte)'=')
                    count = bits = 0; // padding: whatever whole octets the group held are out already
                continue;
            }
            bits = bits << 6 | value;
            count++;
            if (count >= 2)
                output.Append((byte)(bits >> (8 - 2 * count))); // 2 symbols give 1 octet, 3 give 2, 4 give 3
            if (count == 4)
                count = bits = 0;
        }
    }

    static int Base64Value(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'+' => 62,
        (byte)'/' => 63,
        _ => -1,
    };
}
