namespace Rookery.Imap.Tests.ImapTest;

/// <summary>
/// known-failures.txt: the scripts Rookery fails today, one per line with the reason ("name
/// reason…"; # starts a comment). A listed script that passes fails the test, so the list
/// can only shrink.
/// </summary>
sealed class KnownFailures(IReadOnlyDictionary<string, string> reasons)
{
    public const string FileName = "known-failures.txt";

    public static readonly KnownFailures None = new(new Dictionary<string, string>());

    public IReadOnlyDictionary<string, string> Reasons { get; } = reasons;

    public static KnownFailures Load(string path)
    {
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var space = line.IndexOfAny([' ', '\t']);
            var name = space < 0 ? line : line[..space];
            var reason = space < 0 ? "" : line[space..].Trim();
            if (reason.Length == 0)
                throw new FormatException($"{FileName}: '{name}' needs a reason");
            if (!reasons.TryAdd(name, reason))
                throw new FormatException($"{FileName}: '{name}' is listed twice");
        }
        return new KnownFailures(reasons);
    }

    /// <summary>Why the result breaks the rules, or null when it is as expected.</summary>
    public string? Verdict(ScriptResult result)
    {
        var listed = Reasons.TryGetValue(result.Name, out var reason);
        return result.Outcome switch
        {
            ScriptOutcome.Failed when !listed => result.Detail,
            ScriptOutcome.Passed when listed => $"{result.Name} passes now: remove it from {FileName} (it said: {reason})",
            ScriptOutcome.NotApplicable when listed => $"{result.Name} is not applicable ({result.Detail}): remove it from {FileName}",
            _ => null,
        };
    }
}
