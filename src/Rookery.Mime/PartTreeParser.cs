namespace Rookery.Mime;

/// <summary>
/// Splits raw message octets into the MIME part tree: header and body extents of every part, exact to the
/// octet, by scanning for boundary lines (RFC 2046 §5.1.1) the way Dovecot's message parser does. Never
/// fails: whatever the input, every octet lands in some part.
/// </summary>
/// <remarks>
/// The rules that decide sizes, and so must match other servers for clients that cache BODYSTRUCTURE:
/// a boundary line is any line starting with "--" plus the boundary of an enclosing multipart (a prefix
/// match; the longest, then the innermost, boundary wins); the line break before a boundary line belongs to
/// the boundary, not to the part before it, and so does a header's blank line when the boundary follows at
/// once (the part is then its header fields alone); a part's header also ends at a boundary line, its last
/// line break going to the enclosing part; text after a close delimiter belongs to the multipart, up to an
/// enclosing boundary. Past 100 levels of nesting or 10000 parts, content is left unparsed, as Dovecot does.
/// </remarks>
public ref struct PartTreeParser
{
    /// <summary>How deep multiparts and message/rfc822 parts may nest before their content is left unparsed.</summary>
    const int MaxNesting = 100;

    /// <summary>How many parts a message may have before boundaries stop being recognised.</summary>
    const int MaxParts = 10000;

    /// <summary>How much of a boundary line is compared when it has no line break (the message ends in it).</summary>
    const int MaxBoundaryLineWithoutBreak = 80 + 4;

    readonly ReadOnlySpan<byte> message;
    readonly bool messageGlobal;
    readonly List<Boundary> boundaries = [];
    int partCount = 1;

    PartTreeParser(ReadOnlySpan<byte> message, bool messageGlobal)
    {
        this.message = message;
        this.messageGlobal = messageGlobal;
    }

    /// <param name="messageGlobal">Whether message/global parts hold a message, as in IMAP4rev2 (RFC 9051); IMAP4rev1 knows message/rfc822 only.</param>
    public static BodyPart Parse(ReadOnlySpan<byte> message, bool messageGlobal = false)
    {
        var parser = new PartTreeParser(message, messageGlobal);
        var root = new BodyPart(0);
        parser.ParsePart(root, depth: 0, isMultipartChild: false, parentIsDigest: false);
        return root;
    }

    /// <summary>Parses the part that starts at its offset; returns the boundary line that ended it, or null at the end of the message.</summary>
    BoundaryLine? ParsePart(BodyPart part, int depth, bool isMultipartChild, bool parentIsDigest)
    {
        var header = ScanHeader(part.Offset);
        part.Content = ContentFields.Parse(message[part.Offset..header.End], isMultipartChild);
        part.Kind = KindOf(part.Content, parentIsDigest);
        if (part.Kind == PartKind.Basic && messageGlobal && part.Content.TypeIs("message"u8, "global"u8))
        {
            // RFC 6532 §3.5 lets message/global be base64 or quoted-printable, unlike message/rfc822: such a
            // part is opaque here (sections are slices of the stored octets), and IMAP4rev2 forbids calling a
            // message/global part basic, so BODYSTRUCTURE shows it as unparsed.
            part.Truncated = true;
        }

        // A multipart's own boundary is live from its blank line on, so a delimiter right after the blank
        // line opens its body. Any other boundary there takes the blank line as its line break (RFC 2046
        // §5.1.1): the header ends without it, and the part is empty.
        var nests = depth + 1 < MaxNesting;
        var ownText = part.Kind == PartKind.Multipart && header.BlankLineLength > 0 ? part.Content.Boundary() : null;
        var own = ownText is not null && nests ? new Boundary(ownText) : null;
        if (own is not null)
            boundaries.Add(own);
        if (header.BlankLineLength > 0 && MatchBoundary(header.End) is { } next && next.Boundary != own)
        {
            if (own is not null)
                boundaries.Remove(own);
            own = null;
            header = new HeaderScan(header.End - header.BlankLineLength, 0, next);
        }
        part.HeaderLength = header.End - part.Offset;

        if (part.Kind == PartKind.Multipart)
        {
            if (own is not null)
                return Finish(part, ParseMultipartBody(part, own, depth));
            if (ownText is not null && !nests)
                return Truncate(part, header);
            // Without a boundary (or a header that never ended) the multipart has no parts; its body is opaque.
        }
        else if (part.Kind == PartKind.Message)
        {
            if (!nests || partCount >= MaxParts)
                return Truncate(part, header);
            var child = AddChild(part, header.End);
            if (header.Cut is not null)
            {
                // The message's header ran into a boundary: the enclosed message is empty.
                child.Kind = PartKind.Text;
                return header.Cut;
            }
            return Finish(part, ParsePart(child, depth + 1, isMultipartChild: false, parentIsDigest: false));
        }
        return header.Cut ?? Finish(part, FindBoundary(header.End, atRegionStart: true));
    }

    /// <summary>Reads a multipart's body, its boundary already live, up to a boundary that is not its own or the end.</summary>
    BoundaryLine? ParseMultipartBody(BodyPart part, Boundary own, int depth)
    {
        var line = FindBoundary(part.BodyOffset, atRegionStart: true);
        while (line is not null && line.Boundary == own)
        {
            var next = AfterLine(line.Start);
            if (line.IsClose)
            {
                // The epilogue: only enclosing boundaries can end it.
                boundaries.Remove(own);
                line = next < 0 ? null : FindBoundary(next, atRegionStart: true);
            }
            else if (next < 0)
                line = null; // a delimiter on the message's last, unterminated line starts nothing
            else
            {
                var isDigest = part.Content.TypeIs("multipart"u8, "digest"u8);
                line = ParsePart(AddChild(part, next), depth + 1, isMultipartChild: true, parentIsDigest: isDigest);
            }
        }
        boundaries.Remove(own);
        return line;
    }

    BoundaryLine? Truncate(BodyPart part, HeaderScan header)
    {
        part.Truncated = true;
        part.Kind = PartKind.Basic;
        return header.Cut ?? Finish(part, FindBoundary(header.End, atRegionStart: true));
    }

    readonly BoundaryLine? Finish(BodyPart part, BoundaryLine? end)
    {
        part.BodyLength = (end?.PrecedingEnd ?? message.Length) - part.BodyOffset;
        return end;
    }

    BodyPart AddChild(BodyPart parent, int offset)
    {
        var child = new BodyPart(offset);
        parent.Children.Add(child);
        partCount++;
        return child;
    }

    readonly PartKind KindOf(ContentFields content, bool parentIsDigest)
    {
        if (content.Type is null)
            return parentIsDigest ? PartKind.Message : PartKind.Text; // RFC 2046 §5.1.5: digest parts default to message/rfc822
        // message/rfc822 holds a parsed message, as in IMAP4rev1 and Dovecot 2.3; so does message/global for
        // an IMAP4rev2 session (RFC 9051's media-message), when it is not transfer-encoded.
        if (content.TypeIs("message"u8, "rfc822"u8))
            return PartKind.Message;
        if (messageGlobal && content.TypeIs("message"u8, "global"u8) && IsIdentityEncoded(content))
            return PartKind.Message;
        if (content.TypeIs("text"u8))
            return PartKind.Text;
        if (content.TypeIs("multipart"u8) && content.TypeIsWellFormed)
            return PartKind.Multipart;
        return PartKind.Basic;
    }

    /// <summary>No Content-Transfer-Encoding, or 7bit, 8bit or binary: the body is the message as it is.</summary>
    static bool IsIdentityEncoded(ContentFields content) =>
        content.TransferEncoding is not { } encoding
        || System.Text.Ascii.EqualsIgnoreCase(encoding, "7bit"u8)
        || System.Text.Ascii.EqualsIgnoreCase(encoding, "8bit"u8)
        || System.Text.Ascii.EqualsIgnoreCase(encoding, "binary"u8);

    /// <summary>Finds where the header starting at <paramref name="start"/> ends: after a blank line, at a boundary line, or at the end.</summary>
    readonly HeaderScan ScanHeader(int start)
    {
        var position = start;
        var previousBreak = 0;
        while (position < message.Length)
        {
            if (MatchBoundary(position) is { } boundaryLine)
                return new HeaderScan(position - previousBreak, 0, boundaryLine);
            var rest = message[position..];
            var blankLine = rest[0] == (byte)'\n' ? 1 : rest.StartsWith("\r\n"u8) ? 2 : 0;
            if (blankLine > 0)
                return new HeaderScan(position + blankLine, blankLine, null);
            var lf = rest.IndexOf((byte)'\n');
            if (lf < 0)
                break;
            previousBreak = lf > 0 && rest[lf - 1] == (byte)'\r' ? 2 : 1;
            position += lf + 1;
        }
        return new HeaderScan(message.Length, 0, null);
    }

    /// <summary>The next boundary line at or after <paramref name="from"/>, which is the start of a line.</summary>
    readonly BoundaryLine? FindBoundary(int from, bool atRegionStart)
    {
        if (boundaries.Count == 0 || partCount >= MaxParts)
            return null;
        if (atRegionStart && MatchBoundary(from) is { } first)
            return first; // the region is empty: no line break precedes the boundary
        var position = from;
        while (true)
        {
            var found = message[position..].IndexOf("\n--"u8);
            if (found < 0)
                return null;
            var lf = position + found;
            if (MatchBoundary(lf + 1) is { } line)
                return line with { BreakLength = lf > from && message[lf - 1] == (byte)'\r' ? 2 : 1 };
            position = lf + 1;
        }
    }

    /// <summary>Whether the line at <paramref name="start"/> is a delimiter of an enclosing multipart.</summary>
    readonly BoundaryLine? MatchBoundary(int start)
    {
        if (boundaries.Count == 0 || partCount >= MaxParts || !message[start..].StartsWith("--"u8))
            return null;
        var rest = message[(start + 2)..];
        var lf = rest.IndexOf((byte)'\n');
        int length;
        var trailingDashes = false;
        if (lf >= 0)
        {
            length = lf > 0 && rest[lf - 1] == (byte)'\r' ? lf - 1 : lf;
            trailingDashes = length > 2 && rest[..length].EndsWith("--"u8);
        }
        else
            length = Math.Min(rest.Length, MaxBoundaryLineWithoutBreak);

        // Innermost first; a longer match wins over a shorter one ("--foo-bar" is foo-bar's, not foo's), and
        // an exact match ends the search.
        Boundary? best = null;
        for (var i = boundaries.Count - 1; i >= 0; i--)
        {
            var candidate = boundaries[i];
            if (candidate.Text.Length > length || !rest.StartsWith(candidate.Text) || (best is not null && best.Text.Length >= candidate.Text.Length))
                continue;
            best = candidate;
            if (best.Text.Length == length || (trailingDashes && best.Text.Length == length - 2))
                break;
        }
        if (best is null)
            return null;
        var isClose = rest[best.Text.Length..].StartsWith("--"u8);
        return new BoundaryLine(start, 0, best, isClose);
    }

    /// <summary>The offset after the line break of the line at <paramref name="start"/>; -1 when the line does not end.</summary>
    readonly int AfterLine(int start)
    {
        var lf = message[start..].IndexOf((byte)'\n');
        return lf < 0 ? -1 : start + lf + 1;
    }

    /// <summary>A multipart's boundary while its body is being read; compared by reference, as two multiparts may share one text.</summary>
    sealed class Boundary(byte[] text)
    {
        public byte[] Text { get; } = text;
    }

    /// <param name="Start">Offset of the "--" that starts the line.</param>
    /// <param name="BreakLength">Octets of the line break before it that belong to it (0 when it starts a region).</param>
    /// <param name="IsClose">Whether it is a close delimiter ("--boundary--").</param>
    sealed record BoundaryLine(int Start, int BreakLength, Boundary Boundary, bool IsClose)
    {
        /// <summary>Where the part before the boundary line ends.</summary>
        public int PrecedingEnd => Start - BreakLength;
    }

    /// <param name="End">Offset after the header.</param>
    /// <param name="BlankLineLength">Octets of the blank line that ended it; 0 when none did (then a multipart has no parts).</param>
    /// <param name="Cut">The boundary line that ended it early.</param>
    readonly record struct HeaderScan(int End, int BlankLineLength, BoundaryLine? Cut);
}
