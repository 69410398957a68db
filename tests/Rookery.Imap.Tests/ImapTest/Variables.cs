using System.Globalization;
using System.Text.RegularExpressions;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>
/// The $variables of one script run. A value is bound by the first reply that matches it and
/// checked against every later one. Trial matches take a <see cref="Mark"/> and roll back, so a
/// reply that matched half a line binds nothing.
/// </summary>
sealed partial class Variables
{
    readonly Dictionary<string, string> values = new(StringComparer.Ordinal);
    readonly List<string> journal = [];

    public bool TryGet(string name, out string value) => values.TryGetValue(name, out value!);

    /// <summary>A predefined value ($mailbox, $user…, $tag); never rolled back.</summary>
    public void Set(string name, string value) => values[name] = value;

    public int Mark() => journal.Count;

    public void Rollback(int mark)
    {
        for (var i = journal.Count - 1; i >= mark; i--)
            values.Remove(journal[i]);
        journal.RemoveRange(mark, journal.Count - mark);
    }

    public bool TryBind(string name, string value)
    {
        if (values.TryGetValue(name, out var bound))
            return bound.Equals(value, StringComparison.OrdinalIgnoreCase);
        if (ModSeqName().Match(name) is { Success: true } m && !ModSeqFits(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), value))
            return false;
        values[name] = value;
        journal.Add(name);
        return true;
    }

    /// <summary>
    /// $modseqN values must increase with N, by at least the difference of the indexes, and
    /// $modseqN is at least N: with $modseq2 = 10, $modseq5 must be 13 or more.
    /// </summary>
    bool ModSeqFits(int index, string value)
    {
        if (!ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var modseq) || modseq < (ulong)index)
            return false;
        foreach (var (name, other) in values)
        {
            if (ModSeqName().Match(name) is not { Success: true } m || !ulong.TryParse(other, NumberStyles.None, CultureInfo.InvariantCulture, out var otherModSeq))
                continue;
            var otherIndex = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var (low, lowIndex, high, highIndex) = otherIndex < index ? (otherModSeq, otherIndex, modseq, index) : (modseq, index, otherModSeq, otherIndex);
            if (high < low || high - low < (ulong)(highIndex - lowIndex))
                return false;
        }
        return true;
    }

    [GeneratedRegex("^modseq([0-9]+)$")]
    private static partial Regex ModSeqName();
}
