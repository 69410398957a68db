using System.Globalization;
using System.Text;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>The run at a glance: counts, then every script's status, as text for the test output and markdown for a file.</summary>
static class SummaryReport
{
    public static string Counts(IReadOnlyCollection<ScriptResult> results, KnownFailures known)
    {
        var failed = results.Count(r => r.Outcome == ScriptOutcome.Failed);
        var listed = results.Count(r => r.Outcome == ScriptOutcome.Failed && known.Reasons.ContainsKey(r.Name));
        return string.Create(CultureInfo.InvariantCulture,
            $"{results.Count} scripts: {results.Count(r => r.Outcome == ScriptOutcome.Passed)} passed, {failed} failed ({listed} known), " +
            $"{results.Count(r => r.Outcome == ScriptOutcome.NotApplicable)} not applicable; {results.Sum(r => r.Elapsed.TotalSeconds):0.0} s");
    }

    public static string Status(ScriptResult result, KnownFailures known) => result.Outcome switch
    {
        ScriptOutcome.Passed => "passed",
        ScriptOutcome.NotApplicable => "N/A",
        _ => known.Reasons.ContainsKey(result.Name) ? "failed (known)" : "FAILED",
    };

    public static string Text(IReadOnlyCollection<ScriptResult> results, KnownFailures known)
    {
        var text = new StringBuilder(Counts(results, known)).AppendLine();
        foreach (var result in results.OrderBy(r => r.Name, StringComparer.Ordinal))
            text.AppendLine(CultureInfo.InvariantCulture, $"  {result.Name,-34} {Status(result, known),-15} {FirstLine(result.Detail)}");
        return text.ToString();
    }

    public static string Markdown(string server, IReadOnlyCollection<ScriptResult> results, KnownFailures known)
    {
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# imaptest scripts against {server}")
            .AppendLine()
            .AppendLine(Counts(results, known))
            .AppendLine()
            .AppendLine("| script | status | detail |")
            .AppendLine("| --- | --- | --- |");
        foreach (var result in results.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var detail = result.Outcome == ScriptOutcome.Failed && known.Reasons.TryGetValue(result.Name, out var reason)
                ? $"known: {reason}<br>now: {FirstLine(result.Detail)}"
                : FirstLine(result.Detail);
            text.AppendLine(CultureInfo.InvariantCulture, $"| {result.Name} | {Status(result, known)} | {Cell(detail)} |");
        }
        return text.ToString();
    }

    static string FirstLine(string text) => text.Split('\n')[0];

    static string Cell(string text) => Segments.Shorten(text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal), 400);
}
