namespace Rookery.Imap.Tests.ImapTest;

/// <summary>
/// A piece of a logical line, of a script or of a server response: plain text, or a literal
/// that sat between two pieces of text. Text is kept as Latin-1 so every byte survives.
/// </summary>
abstract record Segment;

sealed record TextSegment(string Text) : Segment;

/// <param name="Content">The literal's bytes as Latin-1 characters.</param>
/// <param name="Binary">A literal8 (~{n}) on the wire, or a ~{{{ block in a script.</param>
sealed record LiteralSegment(string Content, bool Binary) : Segment;

static class Segments
{
    /// <summary>The line as text, literals shown in the script's {{{ }}} notation, for messages.</summary>
    public static string Describe(IEnumerable<Segment> segments, int maxLiteral = 200) =>
        string.Concat(segments.Select(s => s switch
        {
            TextSegment t => t.Text,
            LiteralSegment l => (l.Binary ? "~" : "") + "{{{" + Shorten(l.Content, maxLiteral) + "}}}",
            _ => "",
        }));

    public static string Shorten(string text, int max) =>
        text.Length <= max ? text : string.Concat(text.AsSpan(0, max), $"…({text.Length} chars)");
}
