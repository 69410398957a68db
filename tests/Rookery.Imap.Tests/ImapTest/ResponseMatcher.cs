namespace Rookery.Imap.Tests.ImapTest;

/// <summary>
/// Decides whether a server response is what a script line expects, binding variables on the
/// way; a failed attempt leaves no binding behind. Values compare case-insensitively, lists by
/// their rules, and lists without $! directives by the defaults the doc gives for their place:
/// FETCH items unordered in pairs, FETCH FLAGS unordered and complete but for \Recent, LIST and
/// LSUB attributes unordered, STATUS items unordered in pairs.
/// </summary>
sealed class ResponseMatcher(Variables variables)
{
    enum Place { Plain, FetchItems, FetchFlags, MailboxAttributes, StatusItems }

    /// <param name="expungedBefore">Sequence numbers (as at the start of the command) the EXPUNGEs before this response removed.</param>
    public bool Matches(ResponsePattern pattern, ServerResponse response, IReadOnlyList<int> expungedBefore)
    {
        if (!response.IsUntagged || response.Error is not null)
            return false;
        var mark = variables.Mark();
        var context = new Context(expungedBefore);
        var matched = pattern.IsStatus ? MatchStatus(pattern, response, context) : MatchTokens(pattern.Tokens, response.Tokens, context);
        if (!matched)
            variables.Rollback(mark);
        return matched;
    }

    /// <summary>The tagged reply: status, then the response code and text if the script gives them.</summary>
    public bool MatchesReply(ExpectedReply expected, ServerResponse response)
    {
        var status = response.Status;
        if (status is null || (expected.Status != ExpectedStatus.Any && !status.Equals(expected.Status.ToString(), StringComparison.OrdinalIgnoreCase)))
            return false;
        var mark = variables.Mark();
        var context = new Context([]);
        var matched = (expected.Code is null || (response.Tokens.Count > 1 && MatchValue(expected.Code, response.Tokens[1], Place.Plain, context)))
            && TextStarts(response.Text, expected.Text);
        if (!matched)
            variables.Rollback(mark);
        return matched;
    }

    sealed record Context(IReadOnlyList<int> ExpungedBefore)
    {
        /// <summary>Where message <paramref name="original"/> now is; null once it is expunged.</summary>
        public int? Current(int original) =>
            ExpungedBefore.Contains(original) ? null : original - ExpungedBefore.Count(e => e < original);
    }

    bool MatchStatus(ResponsePattern pattern, ServerResponse response, Context context)
    {
        if (response.Status is null || !MatchValue(pattern.Tokens[0], response.Tokens[0], Place.Plain, context))
            return false;
        if (pattern.Tokens.Count > 1 && (response.Tokens.Count < 2 || !MatchValue(pattern.Tokens[1], response.Tokens[1], Place.Plain, context)))
            return false;
        return TextStarts(response.Text, pattern.Text!);
    }

    static bool TextStarts(string? actual, string expected) =>
        expected.Trim().Length == 0 || (actual ?? "").TrimStart().StartsWith(expected.Trim(), StringComparison.OrdinalIgnoreCase);

    bool MatchTokens(IReadOnlyList<Pattern> patterns, IReadOnlyList<Token> tokens, Context context)
    {
        if (patterns.Count != tokens.Count)
            return false;
        for (var i = 0; i < patterns.Count; i++)
        {
            if (!MatchValue(patterns[i], tokens[i], PlaceOf(patterns, i), context))
                return false;
        }
        return true;
    }

    /// <summary>Which default rules a top-level list gets: "n FETCH (…)", "LIST (…)", "LSUB (…)", "STATUS box (…)".</summary>
    static Place PlaceOf(IReadOnlyList<Pattern> patterns, int index) => index switch
    {
        2 when patterns[1] is TemplatePattern t && t.Template.Is("fetch") => Place.FetchItems,
        1 when patterns[0] is TemplatePattern t && (t.Template.Is("list") || t.Template.Is("lsub")) => Place.MailboxAttributes,
        2 when patterns[0] is TemplatePattern t && t.Template.Is("status") => Place.StatusItems,
        _ => Place.Plain,
    };

    bool MatchValue(Pattern pattern, Token token, Place place, Context context)
    {
        switch (pattern)
        {
            case AnyPattern:
                return true;
            case SequencePattern sequence:
                return token is AtomToken atom && int.TryParse(atom.Text, out var number) && context.Current(sequence.Number) == number;
            case TemplatePattern template:
                return TextOf(token) is { } text && template.Template.Match(text, variables);
            case LiteralPattern literal:
                return TextOf(token) is { } content && SameLiteral(literal, content);
            case ListPattern list:
                return token is ListToken actual && actual.Bracket == list.Bracket && MatchList(list, actual, place, context);
            default:
                return false;
        }
    }

    static string? TextOf(Token token) => token switch
    {
        AtomToken a => a.Text,
        QuotedToken q => q.Text,
        LiteralToken l => l.Content,
        _ => null,
    };

    /// <summary>
    /// A {{{ block is compared exactly (but for case). A ~{{{ block holds bytes the script cannot
    /// write exactly (a lone CR, a last line without its line break), so line ends are left out
    /// of that comparison.
    /// </summary>
    static bool SameLiteral(LiteralPattern literal, string content) =>
        literal.Binary
            ? string.Equals(WithoutLineEnds(literal.Content), WithoutLineEnds(content), StringComparison.Ordinal)
            : string.Equals(literal.Content, content, StringComparison.OrdinalIgnoreCase);

    static string WithoutLineEnds(string text) => text.Replace("\r", "", StringComparison.Ordinal).TrimEnd('\n');

    static ListRules RulesOf(Place place) => place switch
    {
        Place.FetchItems => ListRules.FetchItems,
        Place.FetchFlags => ListRules.FetchFlags,
        Place.MailboxAttributes => ListRules.MailboxAttributes,
        Place.StatusItems => ListRules.StatusItems,
        _ => ListRules.Exact,
    };

    bool MatchList(ListPattern pattern, ListToken actual, Place place, Context context)
    {
        var rules = pattern.Rules ?? RulesOf(place);
        var expected = pattern.Items;
        var items = actual.Items;
        if (rules.Ordered)
        {
            if (items.Count < expected.Count || (!rules.Extra && items.Count != expected.Count))
                return false;
            for (var i = 0; i < expected.Count; i++)
            {
                if (!MatchValue(expected[i], items[i], Place.Plain, context))
                    return false;
            }
            return items.Skip(expected.Count).All(extra => !Listed(extra, rules.Ban));
        }
        var chain = rules.Chain;
        if (expected.Count % chain != 0)
            return false;
        var chains = items.Count / chain;
        var used = new bool[chains];
        for (var e = 0; e < expected.Count; e += chain)
        {
            var found = false;
            for (var c = 0; c < chains && !found; c++)
            {
                if (used[c])
                    continue;
                var mark = variables.Mark();
                found = true;
                for (var j = 0; j < chain && found; j++)
                    found = MatchValue(expected[e + j], items[c * chain + j], ChildPlace(place, expected[e], j), context);
                if (found)
                    used[c] = true;
                else
                    variables.Rollback(mark);
            }
            if (!found)
                return false;
        }
        for (var c = 0; c < chains; c++)
        {
            if (used[c])
                continue;
            var extra = items[c * chain];
            if (rules.Extra ? Listed(extra, rules.Ban) : !Listed(extra, rules.Ignore))
                return false;
        }
        return rules.Extra || items.Count % chain == 0;
    }

    /// <summary>Inside FETCH (…), the value after FLAGS gets the FLAGS defaults.</summary>
    static Place ChildPlace(Place place, Pattern chainHead, int index) =>
        place == Place.FetchItems && index == 1 && chainHead is TemplatePattern t && t.Template.Is("flags") ? Place.FetchFlags : Place.Plain;

    static bool Listed(Token token, IReadOnlyList<string> values) =>
        TextOf(token) is { } text && values.Contains(text, StringComparer.OrdinalIgnoreCase);
}
