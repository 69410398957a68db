namespace Rookery.Mime;

/// <summary>How a lexical step of <see cref="Rfc822Reader"/> ended.</summary>
public enum Scan
{
    /// <summary>The input is malformed at the current position.</summary>
    Invalid = -1,

    /// <summary>The input is used up.</summary>
    End = 0,

    /// <summary>More input follows.</summary>
    More = 1,
}

/// <summary>
/// RFC 5322 / RFC 2045 lexical tokens over raw header octets: comments and folding whitespace, atoms,
/// MIME tokens, quoted strings, domain literals and phrases. Every step that consumes a token skips the
/// comments and whitespace after it, so a caller looks at <see cref="Current"/> to decide what comes next.
/// </summary>
/// <remarks>
/// The recovery choices on malformed input (what is kept, what ends a token) follow Dovecot's lib-mail,
/// because clients compare our ENVELOPE and BODYSTRUCTURE with what other servers send for the same mail.
/// </remarks>
public ref struct Rfc822Reader(ReadOnlySpan<byte> input)
{
    /// <summary>What stands in for a NUL octet inside quoted strings and comments: U+FFFD in UTF-8.</summary>
    public static ReadOnlySpan<byte> NulReplacement => "\uFFFD"u8;

    readonly ReadOnlySpan<byte> input = input;

    public int Position { get; set; }

    public readonly bool AtEnd => Position >= input.Length;

    /// <summary>The octet at the position; 0 at the end, which no caller mistakes for a delimiter.</summary>
    public readonly byte Current => Position < input.Length ? input[Position] : (byte)0;

    /// <summary>When set, receives the text of the last comment skipped (addr-spec display names come from it).</summary>
    public OctetBuilder? LastComment { get; set; }

    public void Advance() => Position++;

    /// <summary>Skips whitespace, line breaks and (nested) comments.</summary>
    public Scan SkipCfws()
    {
        while (Position < input.Length)
        {
            var c = input[Position];
            if (c is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                Position++;
            else if (c == (byte)'(')
            {
                if (!SkipComment())
                    return Scan.Invalid;
            }
            else
                return Scan.More;
        }
        return Scan.End;
    }

    // Comments and quoted strings keep what they read up to the last line break or quoted-pair when they
    // are not terminated, and drop the rest: the partial text Dovecot keeps in that case.
    bool SkipComment()
    {
        var comment = LastComment;
        comment?.Clear();
        var kept = 0;
        var depth = 0;
        for (; Position < input.Length; Position++)
        {
            var c = input[Position];
            switch (c)
            {
                case (byte)'(':
                    if (depth++ > 0)
                        comment?.Append(c);
                    continue;
                case (byte)')':
                    if (--depth == 0)
                    {
                        Position++;
                        return true;
                    }
                    comment?.Append(c);
                    continue;
                case (byte)'\r' when Position + 1 < input.Length && input[Position + 1] == (byte)'\n':
                    continue;
                case (byte)'\n':
                    kept = comment?.Length ?? 0; // folding inside a comment
                    continue;
                case 0:
                    comment?.Append(NulReplacement);
                    kept = comment?.Length ?? 0;
                    continue;
                case (byte)'\\' when Position + 1 < input.Length && input[Position + 1] is not ((byte)'\r' or (byte)'\n' or 0):
                    kept = comment?.Length ?? 0;
                    comment?.Append(input[++Position]);
                    continue;
                default:
                    comment?.Append(c);
                    continue;
            }
        }
        comment?.Truncate(kept);
        return false;
    }

    /// <summary>atom = 1*atext, then CFWS. Invalid when no atext is here.</summary>
    public Scan ReadAtom(OctetBuilder output)
    {
        if (AtEnd || !Rfc822Chars.IsAtext(Current))
            return Scan.Invalid;
        var start = Position;
        while (Position < input.Length && Rfc822Chars.IsAtext(input[Position]))
            Position++;
        output.Append(input[start..Position]);
        return SkipCfws();
    }

    /// <summary>dot-atom with the CFWS RFC 822 allowed around the dots.</summary>
    public Scan ReadDotAtom(OctetBuilder output)
    {
        while (true)
        {
            var scan = ReadAtom(output);
            if (scan != Scan.More)
                return scan;
            if (Current != (byte)'.')
                return Scan.More;
            Position++;
            output.Append((byte)'.');
            if (SkipCfws() != Scan.More)
                return Scan.Invalid;
        }
    }

    /// <summary>
    /// A local-part without RFC 5322's rules on dots (".user", "us..er", "user." are common in Japanese mail),
    /// then CFWS. End when the input stops after a dot.
    /// </summary>
    public Scan ReadLooseDotAtom(OctetBuilder output)
    {
        var scan = Scan.Invalid;
        do
        {
            while (Current == (byte)'.')
            {
                output.Append((byte)'.');
                Position++;
                if (AtEnd)
                    return Scan.End;
                scan = Scan.More;
            }
            if (Current == (byte)'@')
                break;
            scan = ReadAtom(output);
        }
        while (scan == Scan.More && Current == (byte)'.');
        return scan;
    }

    /// <summary>A MIME token (RFC 2045), possibly empty, then CFWS. Dots are accepted, as in RFC 822 atoms.</summary>
    public Scan ReadMimeToken(OctetBuilder output)
    {
        var start = Position;
        while (Position < input.Length && (Rfc822Chars.IsTokenChar(input[Position]) || input[Position] == (byte)'.'))
            Position++;
        output.Append(input[start..Position]);
        return AtEnd ? Scan.End : SkipCfws();
    }

    /// <summary>A quoted-string at the position: its content without quotes, escapes or folding, then CFWS.</summary>
    public Scan ReadQuotedString(OctetBuilder output)
    {
        var kept = output.Length;
        Position++; // the opening quote
        for (; Position < input.Length; Position++)
        {
            var c = input[Position];
            switch (c)
            {
                case (byte)'"':
                    Position++;
                    return SkipCfws();
                case (byte)'\r' when Position + 1 < input.Length && input[Position + 1] == (byte)'\n':
                    continue;
                case (byte)'\n':
                    kept = output.Length; // folding: the line break goes, the whitespace after it stays
                    continue;
                case 0:
                    output.Append(NulReplacement);
                    kept = output.Length;
                    continue;
                case (byte)'\\' when Position + 1 < input.Length && input[Position + 1] is not ((byte)'\r' or (byte)'\n' or 0):
                    kept = output.Length;
                    output.Append(input[++Position]);
                    continue;
                default:
                    output.Append(c);
                    continue;
            }
        }
        output.Truncate(kept);
        return Scan.Invalid; // no closing quote
    }

    /// <summary>A domain-literal at the position, brackets and backslashes kept, folding removed, then CFWS.</summary>
    public Scan ReadDomainLiteral(OctetBuilder output)
    {
        output.Append((byte)'[');
        for (Position++; Position < input.Length; Position++)
        {
            var c = input[Position];
            switch (c)
            {
                case (byte)'[':
                    return Scan.Invalid;
                case (byte)']':
                    output.Append(c);
                    Position++;
                    return SkipCfws();
                case (byte)'\r' when Position + 1 < input.Length && input[Position + 1] == (byte)'\n':
                case (byte)'\n':
                    continue;
                case 0:
                    output.Append(NulReplacement);
                    continue;
                case (byte)'\\':
                    if (Position + 1 >= input.Length)
                        return Scan.Invalid;
                    output.Append(c);
                    if (input[Position + 1] is not ((byte)'\r' or (byte)'\n' or 0))
                        output.Append(input[++Position]);
                    continue;
                default:
                    output.Append(c);
                    continue;
            }
        }
        return Scan.Invalid;
    }

    /// <summary>"@" domain at the position (a dot-atom or a domain-literal).</summary>
    public Scan ReadDomain(OctetBuilder output)
    {
        Position++; // the '@'
        if (SkipCfws() != Scan.More)
            return Scan.Invalid;
        return Current == (byte)'[' ? ReadDomainLiteral(output) : ReadDotAtom(output);
    }

    /// <summary>
    /// phrase = 1*word, words joined by one space; obsolete dots are kept. May read nothing (then the caller
    /// sees what stopped it in <see cref="Current"/>).
    /// </summary>
    public Scan ReadPhrase(OctetBuilder output)
    {
        if (AtEnd)
            return Scan.End;
        if (Current == (byte)'.')
            return Scan.Invalid;
        while (true)
        {
            var scan = Current == (byte)'"' ? ReadQuotedString(output) : ReadAtomOrDots(output);
            if (scan != Scan.More)
                return scan;
            if (!Rfc822Chars.IsAtext(Current) && Current is not ((byte)'"' or (byte)'.'))
                return SkipCfws();
            output.Append((byte)' ');
        }
    }

    Scan ReadAtomOrDots(OctetBuilder output)
    {
        var start = Position;
        while (Position < input.Length && (Rfc822Chars.IsAtext(input[Position]) || input[Position] == (byte)'.'))
            Position++;
        output.Append(input[start..Position]);
        return AtEnd ? Scan.End : SkipCfws();
    }
}

/// <summary>Character classes of RFC 5322 and RFC 2045 over octets; 8-bit octets count as atext (RFC 6532).</summary>
public static class Rfc822Chars
{
    /// <summary>atext: any octet except controls, space and specials ()&lt;&gt;[]:;@\,."</summary>
    public static bool IsAtext(byte c) =>
        c >= 0x80 || (c > 0x20 && c < 0x7f && c is not ((byte)'(' or (byte)')' or (byte)'<' or (byte)'>' or (byte)'['
            or (byte)']' or (byte)':' or (byte)';' or (byte)'@' or (byte)'\\' or (byte)',' or (byte)'.' or (byte)'"'));

    /// <summary>A MIME token character: atext except the tspecials "/", "=" and "?".</summary>
    public static bool IsTokenChar(byte c) => IsAtext(c) && c is not ((byte)'/' or (byte)'=' or (byte)'?');
}
