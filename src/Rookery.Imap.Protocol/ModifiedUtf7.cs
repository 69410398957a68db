using System.Text;

namespace Rookery.Imap.Protocol;

/// <summary>
/// IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3): printable ASCII stands for
/// itself, "&amp;" is "&amp;-", anything else is UTF-16 in base64 (with "," for "/") between "&amp;" and "-".
/// </summary>
public static class ModifiedUtf7
{
    const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

    public static string Encode(string name)
    {
        var result = new StringBuilder(name.Length);
        var i = 0;
        while (i < name.Length)
        {
            var c = name[i];
            if (c is >= ' ' and <= '~')
            {
                result.Append(c == '&' ? "&-" : c);
                i++;
                continue;
            }
            var start = i;
            while (i < name.Length && name[i] is not (>= ' ' and <= '~'))
                i++;
            result.Append('&');
            AppendBase64(result, name.AsSpan(start, i - start));
            result.Append('-');
        }
        return result.ToString();
    }

    static void AppendBase64(StringBuilder result, ReadOnlySpan<char> chars)
    {
        int bits = 0, buffer = 0;
        foreach (var c in chars)
        {
            buffer = (buffer << 16) | c;
            bits += 16;
            while (bits >= 6)
            {
                bits -= 6;
                result.Append(Alphabet[(buffer >> bits) & 0x3f]);
            }
            buffer &= (1 << bits) - 1;
        }
        if (bits > 0)
            result.Append(Alphabet[(buffer << (6 - bits)) & 0x3f]);
    }

    /// <summary>
    /// Decodes a name, refusing everything RFC 3501 forbids: 8-bit or control characters,
    /// unterminated or empty shifts other than "&amp;-", printable ASCII or broken surrogates inside a
    /// shift, non-zero padding bits, and two shifts in a row.
    /// </summary>
    public static bool TryDecode(string encoded, out string name)
    {
        name = "";
        var result = new StringBuilder(encoded.Length);
        var i = 0;
        var previousWasShift = false;
        while (i < encoded.Length)
        {
            var c = encoded[i];
            if (c is < ' ' or > '~')
                return false;
            if (c != '&')
            {
                result.Append(c);
                i++;
                previousWasShift = false;
                continue;
            }
            var end = encoded.IndexOf('-', i + 1);
            if (end < 0)
                return false;
            if (end == i + 1)
            {
                result.Append('&');
                i = end + 1;
                previousWasShift = false;
                continue;
            }
            if (previousWasShift || !TryDecodeBase64(encoded.AsSpan(i + 1, end - i - 1), result))
                return false;
            previousWasShift = true;
            i = end + 1;
        }
        name = result.ToString();
        return true;
    }

    static bool TryDecodeBase64(ReadOnlySpan<char> text, StringBuilder result)
    {
        int bits = 0, buffer = 0;
        var units = new List<char>();
        foreach (var c in text)
        {
            var value = Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (value < 0)
                return false;
            buffer = (buffer << 6) | value;
            bits += 6;
            if (bits >= 16)
            {
                bits -= 16;
                units.Add((char)((buffer >> bits) & 0xffff));
                buffer &= (1 << bits) - 1;
            }
        }
        if (bits >= 6 || buffer != 0 || units.Count == 0)
            return false;
        for (var i = 0; i < units.Count; i++)
        {
            var u = units[i];
            if (u is >= ' ' and <= '~')
                return false; // must have been written directly
            if (char.IsHighSurrogate(u))
            {
                if (i + 1 >= units.Count || !char.IsLowSurrogate(units[i + 1]))
                    return false;
                result.Append(u).Append(units[++i]);
                continue;
            }
            if (char.IsLowSurrogate(u))
                return false;
            result.Append(u);
        }
        return true;
    }
}
