using System.Text;
using System.Text.RegularExpressions;

namespace Rookery.Imap;

/// <summary>
/// The "base subject" of RFC 5256 §2.1, which SORT SUBJECT and THREAD compare: the subject
/// without reply and forward markers, list tags in brackets, or "(fwd)" trailers.
/// </summary>
public static partial class BaseSubject
{
    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^(\[[^\[\]]*\]\s*)*(re|fwd?)\s*(\[[^\[\]]*\])?:\s*", RegexOptions.IgnoreCase)]
    private static partial Regex Leader();

    [GeneratedRegex(@"^\[[^\[\]]*\]\s*")]
    private static partial Regex Blob();

    public static string Of(string subject) => Of(subject, out _);

    /// <param name="isReplyOrForward">Whether markers were removed: THREAD=ORDEREDSUBJECT and REFERENCES treat such messages as replies.</param>
    public static string Of(string subject, out bool isReplyOrForward)
    {
        isReplyOrForward = false;
        var text = Whitespace().Replace(subject, " ").Trim();
        while (true)
        {
            var before = text;
            // (2) trailing "(fwd)" and whitespace
            while (text.EndsWith("(fwd)", StringComparison.OrdinalIgnoreCase))
            {
                text = text[..^5].TrimEnd();
                isReplyOrForward = true;
            }
            // (3) leaders and blobs, as long as something is left
            while (true)
            {
                var leader = Leader().Match(text);
                if (leader.Success && leader.Length < text.Length)
                {
                    text = text[leader.Length..];
                    isReplyOrForward = true;
                    continue;
                }
                var blob = Blob().Match(text);
                if (blob.Success && blob.Length < text.Length)
                {
                    text = text[blob.Length..];
                    continue;
                }
                break;
            }
            // (4) "[fwd: ...]"
            if (text.StartsWith("[fwd:", StringComparison.OrdinalIgnoreCase) && text.EndsWith(']'))
            {
                text = text[5..^1].Trim();
                isReplyOrForward = true;
            }
            if (text == before)
                break;
        }
        return text.Normalize(NormalizationForm.FormC).ToUpperInvariant();
    }
}
