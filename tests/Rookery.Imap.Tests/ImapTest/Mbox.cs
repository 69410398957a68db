using System.Globalization;
using System.Text.RegularExpressions;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>A message of a test's mbox: its text with CRLF line ends, and the date of its "From " line as INTERNALDATE.</summary>
sealed record MboxMessage(string Content, string InternalDate);

/// <summary>
/// Reads the tests' mbox files. A message is everything between two "From " lines, the empty
/// line before the next one included; the sort-arrival test orders by the "From " line dates,
/// so APPEND passes them on.
/// </summary>
static partial class Mbox
{
    public static List<MboxMessage> Parse(string text)
    {
        var messages = new List<MboxMessage>();
        string? date = null;
        var start = -1;
        var position = 0;
        while (position <= text.Length)
        {
            var end = text.IndexOf('\n', position);
            var next = end < 0 ? text.Length : end + 1;
            if (position == text.Length || text.AsSpan(position).StartsWith("From "))
            {
                if (date is not null)
                    messages.Add(new MboxMessage(ResponsePattern.Crlf(text[start..position]), date));
                if (position == text.Length)
                    break;
                date = InternalDate(text[position..(end < 0 ? text.Length : end)]);
                start = next;
            }
            position = next;
        }
        return messages;
    }

    [GeneratedRegex(@"([A-Z][a-z]{2}) +([0-9]{1,2}) ([0-9]{2}:[0-9]{2}:[0-9]{2}) ([0-9]{4})(?: ([+-][0-9]{4}))?\s*$")]
    private static partial Regex FromLineDate();

    /// <summary>"From user@domain  Fri Feb 22 17:06:23 2008 +0200" gives "22-Feb-2008 17:06:23 +0200"; a line without a zone is taken as UTC.</summary>
    static string InternalDate(string fromLine)
    {
        var match = FromLineDate().Match(fromLine);
        if (!match.Success)
            throw new FormatException($"no date in mbox line '{fromLine}'");
        var day = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{day:00}-{match.Groups[1].Value}-{match.Groups[4].Value} {match.Groups[3].Value} {(match.Groups[5].Success ? match.Groups[5].Value : "+0000")}");
    }
}
