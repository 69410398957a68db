using System.Text;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>One IMAP value as it appears on a line, before it means anything.</summary>
abstract record Token;

/// <summary>An atom, number, NIL, flag or fetch item name such as BODY[HEADER.FIELDS (FROM)]&lt;0&gt;.</summary>
sealed record AtomToken(string Text) : Token;

/// <summary>A quoted string, unescaped.</summary>
sealed record QuotedToken(string Text) : Token;

sealed record LiteralToken(string Content, bool Binary) : Token;

/// <summary>A parenthesised list, or with <paramref name="Bracket"/> a response code in [ ].</summary>
sealed record ListToken(IReadOnlyList<Token> Items, bool Bracket) : Token;

/// <summary>
/// Splits a segmented line into tokens. Server responses and script expectations go through the
/// same reader so both sides agree on what one value is; in pattern mode ${...} belongs to the
/// atom around it, since braces would otherwise end it.
/// </summary>
sealed class TokenReader(IReadOnlyList<Segment> segments, bool patterns)
{
    int segment;
    int position;

    string Text => segment < segments.Count && segments[segment] is TextSegment t ? t.Text : "";

    /// <summary>Moves past spaces and empty text; true when a token or a closing bracket follows.</summary>
    bool SkipSpace()
    {
        while (segment < segments.Count)
        {
            if (segments[segment] is LiteralSegment)
                return true;
            var text = Text;
            while (position < text.Length && text[position] == ' ')
                position++;
            if (position < text.Length)
                return true;
            segment++;
            position = 0;
        }
        return false;
    }

    public bool AtEnd => !SkipSpace();

    /// <summary>Whether the next character is <paramref name="c"/> (after spaces).</summary>
    public bool Peek(char c) => SkipSpace() && segments[segment] is TextSegment t && t.Text[position] == c;

    public List<Token> ReadAll()
    {
        var tokens = new List<Token>();
        while (SkipSpace())
        {
            if (Peek(')') || Peek(']'))
                throw new FormatException($"unbalanced '{Text[position]}' in: {Describe()}");
            tokens.Add(Read());
        }
        return tokens;
    }

    /// <summary>The rest of the line as plain text: the free text of a status response.</summary>
    public string Rest()
    {
        if (!SkipSpace())
            return "";
        var rest = new List<Segment> { new TextSegment(Text[position..]) };
        rest.AddRange(segments.Skip(segment + 1));
        segment = segments.Count;
        return Segments.Describe(rest);
    }

    public Token Read()
    {
        if (!SkipSpace())
            throw new FormatException($"value missing at the end of: {Describe()}");
        if (segments[segment] is LiteralSegment literal)
        {
            segment++;
            position = 0;
            return new LiteralToken(literal.Content, literal.Binary);
        }
        var text = Text;
        switch (text[position])
        {
            case '(':
                position++;
                return new ListToken(ReadUntil(')'), Bracket: false);
            case '[':
                position++;
                return new ListToken(ReadUntil(']'), Bracket: true);
            case '"':
                return ReadQuoted(text);
            default:
                return ReadAtom(text);
        }
    }

    List<Token> ReadUntil(char close)
    {
        var items = new List<Token>();
        while (true)
        {
            if (!SkipSpace())
                throw new FormatException($"missing '{close}' in: {Describe()}");
            if (segments[segment] is TextSegment t && t.Text[position] == close)
            {
                position++;
                return items;
            }
            if (segments[segment] is TextSegment u && u.Text[position] is ')' or ']')
                throw new FormatException($"'{u.Text[position]}' where '{close}' was expected in: {Describe()}");
            items.Add(Read());
        }
    }

    QuotedToken ReadQuoted(string text)
    {
        var value = new StringBuilder();
        for (var i = position + 1; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
                value.Append(text[++i]);
            else if (text[i] == '"')
            {
                position = i + 1;
                return new QuotedToken(value.ToString());
            }
            else
                value.Append(text[i]);
        }
        throw new FormatException($"unterminated quoted string in: {Describe()}");
    }

    AtomToken ReadAtom(string text)
    {
        var start = position;
        var i = position;
        while (i < text.Length && text[i] is not (' ' or '(' or ')' or ']' or '"'))
        {
            if (text[i] == '[')
                i = Closing(text, i, '[', ']');
            else if (patterns && text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{')
                i = Closing(text, i + 1, '{', '}');
            else if (patterns && text[i] == '$' && i + 1 < text.Length && text[i + 1] == '$')
                i += 2;
            else
                i++;
        }
        position = i;
        return new AtomToken(text[start..i]);
    }

    /// <summary>The index just past the bracket that closes the one at <paramref name="open"/>: BODY[...] is one atom, spaces and all.</summary>
    int Closing(string text, int open, char opening, char closing)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == opening)
                depth++;
            else if (text[i] == closing && --depth == 0)
                return i + 1;
        }
        throw new FormatException($"missing '{closing}' in: {Describe()}");
    }

    string Describe() => Segments.Shorten(Segments.Describe(segments), 300);
}
