namespace Rookery.Imap.Tests.ImapTest;

/// <summary>
/// One response from the server, tokenised: "*" untagged, "+" continuation, or a command's tag.
/// A status response (OK, NO, BAD, BYE, PREAUTH, and every tagged one) keeps its status word and
/// response code as tokens and its human-readable text as <see cref="Text"/>.
/// </summary>
/// <param name="Error">Why the line could not be tokenised; it then matches nothing.</param>
sealed record ServerResponse(string Tag, IReadOnlyList<Token> Tokens, string? Text, string Line, string? Error = null)
{
    public bool IsUntagged => Tag == "*";
    public bool IsContinuation => Tag == "+";

    public string? Status => Text is not null && Tokens is [AtomToken status, ..] ? status.Text.ToUpperInvariant() : null;

    /// <summary>For "* 3 EXPUNGE": 3.</summary>
    public int? ExpungedSequence =>
        IsUntagged && Tokens is [AtomToken number, AtomToken { Text: var word }] && word.Equals("EXPUNGE", StringComparison.OrdinalIgnoreCase)
        && int.TryParse(number.Text, out var seq) ? seq : null;

    public static ServerResponse Parse(IReadOnlyList<Segment> line)
    {
        var description = Segments.Describe(line);
        var first = line.Count > 0 && line[0] is TextSegment t ? t.Text : "";
        var space = first.IndexOf(' ', StringComparison.Ordinal);
        var tag = space < 0 ? first : first[..space];
        var rest = new List<Segment> { new TextSegment(space < 0 ? "" : first[(space + 1)..]) };
        rest.AddRange(line.Skip(1));
        if (tag == "+")
            return new ServerResponse(tag, [], Segments.Describe(rest), description);
        try
        {
            var reader = new TokenReader(rest, patterns: false);
            if (reader.AtEnd)
                return new ServerResponse(tag, [], null, description);
            var head = reader.Read();
            if (head is AtomToken atom && (tag != "*" || ResponsePattern.IsStatusWord(atom.Text)))
            {
                var tokens = new List<Token> { head };
                if (reader.Peek('['))
                    tokens.Add(reader.Read());
                return new ServerResponse(tag, tokens, reader.Rest(), description);
            }
            var all = reader.ReadAll();
            all.Insert(0, head);
            return new ServerResponse(tag, all, null, description);
        }
        catch (FormatException e)
        {
            return new ServerResponse(tag, [], null, description, e.Message);
        }
    }

    public override string ToString() => Segments.Shorten(Line, 400);
}
