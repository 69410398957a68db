namespace Rookery.Imap.Protocol;

/// <summary>Character classes of RFC 9051's formal syntax.</summary>
public static class ImapSyntax
{
    /// <summary>ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ].</summary>
    public static bool IsAtomChar(byte b) =>
        b is > 0x20 and < 0x7f && b is not ((byte)'(' or (byte)')' or (byte)'{' or (byte)'%' or (byte)'*' or (byte)'"' or (byte)'\\' or (byte)']');

    /// <summary>ASTRING-CHAR: ATOM-CHAR or resp-specials (]).</summary>
    public static bool IsAStringChar(byte b) => IsAtomChar(b) || b == ']';

    /// <summary>Whether <paramref name="text"/> can be sent as an atom (and so needs no quotes).</summary>
    public static bool IsAtom(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
            return false;
        foreach (var c in text)
        {
            if (c > 0x7f || !IsAtomChar((byte)c))
                return false;
        }
        return true;
    }

    /// <summary>Whether <paramref name="text"/> can be sent as a quoted string: no CR, LF or NUL, and 7-bit unless UTF-8 is allowed.</summary>
    public static bool IsQuotable(ReadOnlySpan<char> text, bool utf8)
    {
        foreach (var c in text)
        {
            if (c is '\r' or '\n' or '\0' || (!utf8 && c > 0x7f))
                return false;
        }
        return true;
    }
}
