using System.Globalization;
using System.Text;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>What one expected value in a script line accepts.</summary>
abstract record Pattern;

/// <summary>$ alone: any value, lists included.</summary>
sealed record AnyPattern : Pattern
{
    public static readonly AnyPattern Instance = new();
}

/// <summary>$3: the message that had sequence number 3 when the command started, wherever EXPUNGEs have since moved it.</summary>
sealed record SequencePattern(int Number) : Pattern;

/// <summary>An atom or string, possibly built from variables: $mailbox${sep}test.</summary>
sealed record TemplatePattern(Template Template) : Pattern;

/// <param name="Content">For a {{{ block: CRLF line ends, as a server sends them; for ~{{{: the bytes as written.</param>
sealed record LiteralPattern(string Content, bool Binary) : Pattern;

/// <param name="Rules">From the list's own $! directives; null lets the response type choose (FETCH, LIST, STATUS…).</param>
sealed record ListPattern(IReadOnlyList<Pattern> Items, ListRules? Rules, bool Bracket) : Pattern;

/// <summary>How a list's elements are compared: the doc's $!ordered, $!unordered[=n], $!noextra, $!ignore=, $!ban=.</summary>
/// <param name="Chain">Elements that move together when unordered: 2 for FETCH's name–value pairs.</param>
/// <param name="Extra">Elements the script does not name may be present.</param>
/// <param name="Ignore">Extra elements allowed even when <paramref name="Extra"/> is false.</param>
/// <param name="Ban">Extra elements refused even when <paramref name="Extra"/> is true.</param>
sealed record ListRules(bool Ordered, int Chain, bool Extra, IReadOnlyList<string> Ignore, IReadOnlyList<string> Ban)
{
    public static readonly ListRules Exact = new(true, 1, false, [], []);
    public static readonly ListRules FetchItems = new(false, 2, true, [], []);
    public static readonly ListRules FetchFlags = new(false, 1, false, ["\\recent"], []);
    public static readonly ListRules MailboxAttributes = new(false, 1, true, [], []);
    public static readonly ListRules StatusItems = new(false, 2, true, [], []);

    /// <summary>Rules from the $! directives at the head of a list.</summary>
    public static ListRules FromDirectives(IEnumerable<string> directives)
    {
        var ordered = true;
        bool? extra = null;
        var chain = 1;
        var ignore = new List<string>();
        var ban = new List<string>();
        foreach (var directive in directives)
        {
            var (name, value) = directive.IndexOf('=', StringComparison.Ordinal) is var eq and >= 0 ? (directive[..eq], directive[(eq + 1)..]) : (directive, null);
            switch (name.ToLowerInvariant(), value)
            {
                case ("ordered", null):
                    ordered = true;
                    break;
                case ("unordered", null):
                    ordered = false;
                    break;
                case ("unordered", _):
                    ordered = false;
                    chain = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case ("noextra", null):
                    extra = false;
                    break;
                case ("extra", null):
                    extra = true;
                    break;
                case ("ignore", not null):
                    ignore.Add(value);
                    break;
                case ("ban", not null):
                    ban.Add(value);
                    break;
                default:
                    throw new FormatException($"unknown list directive $!{directive}");
            }
        }
        // "$!unordered … also allows extra elements to be present"; an ordered list is exact unless told otherwise
        return new ListRules(ordered, chain, extra ?? !ordered, ignore, ban);
    }
}

/// <summary>An expected response line: the tokens after "* " (or the tagged reply's status), compiled to patterns.</summary>
/// <param name="Text">For status responses (OK, NO, BAD, BYE, PREAUTH): the free text after the response code, matched as a prefix.</param>
sealed record ResponsePattern(IReadOnlyList<Pattern> Tokens, string? Text, string Source)
{
    public bool IsStatus => Text is not null;

    static readonly string[] Statuses = ["OK", "NO", "BAD", "BYE", "PREAUTH"];

    public static bool IsStatusWord(string word) => Statuses.Contains(word, StringComparer.OrdinalIgnoreCase);

    public static ResponsePattern Parse(IReadOnlyList<Segment> line)
    {
        var source = Segments.Describe(line);
        var reader = new TokenReader(line, patterns: true);
        if (reader.AtEnd)
            return new ResponsePattern([], null, source);
        var first = reader.Read();
        if (first is AtomToken atom && IsStatusWord(atom.Text))
        {
            var tokens = new List<Pattern> { Compile(first) };
            if (reader.Peek('['))
                tokens.Add(Compile(reader.Read()));
            return new ResponsePattern(tokens, reader.Rest(), source);
        }
        var rest = reader.ReadAll();
        rest.Insert(0, first);
        return new ResponsePattern(rest.Select(Compile).ToList(), null, source);
    }

    public static Pattern Compile(Token token)
    {
        switch (token)
        {
            case AtomToken { Text: "$" }:
                return AnyPattern.Instance;
            case AtomToken atom when atom.Text.Length > 1 && atom.Text[0] == '$' && atom.Text.Skip(1).All(char.IsAsciiDigit):
                return new SequencePattern(int.Parse(atom.Text.AsSpan(1), CultureInfo.InvariantCulture));
            case AtomToken atom:
                return new TemplatePattern(Template.Parse(atom.Text));
            case QuotedToken quoted:
                return new TemplatePattern(Template.Parse(quoted.Text));
            case LiteralToken literal:
                return new LiteralPattern(literal.Binary ? literal.Content : Crlf(literal.Content), literal.Binary);
            case ListToken list:
                var directives = list.Items.TakeWhile(IsDirective).Select(t => ((AtomToken)t).Text[2..]).ToList();
                var rules = directives.Count == 0 ? null : ListRules.FromDirectives(directives);
                return new ListPattern(list.Items.Skip(directives.Count).Select(Compile).ToList(), rules, list.Bracket);
            default:
                throw new FormatException($"unexpected token {token}");
        }
    }

    static bool IsDirective(Token token) => token is AtomToken atom && atom.Text.StartsWith("$!", StringComparison.Ordinal);

    /// <summary>Script files end lines with LF; IMAP ends them with CRLF.</summary>
    public static string Crlf(string text)
    {
        var result = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
                result.Append('\r');
            result.Append(text[i]);
        }
        return result.ToString();
    }
}
