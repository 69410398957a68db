using System.Globalization;

namespace Rookery.Imap.Protocol;

/// <summary>
/// A sequence set (<c>1:3,7,9:*</c>) of message numbers or UIDs; <c>*</c> is the largest in use.
/// <c>$</c> (SEARCHRES, RFC 5182) is the result of the last SEARCH ... SAVE.
/// </summary>
public sealed record SequenceSet(IReadOnlyList<SequenceRange> Ranges, bool IsSavedResult = false)
{
    /// <summary>A number standing for "*" until resolved against the largest in use.</summary>
    public const long Star = long.MaxValue;

    public static SequenceSet Saved { get; } = new([], IsSavedResult: true);

    public static bool TryParse(string text, out SequenceSet set)
    {
        set = Saved;
        if (text == "$")
            return true;
        var ranges = new List<SequenceRange>();
        foreach (var piece in text.Split(','))
        {
            var colon = piece.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                if (!TryNumber(piece, out var single))
                    return false;
                ranges.Add(new SequenceRange(single, single));
                continue;
            }
            if (!TryNumber(piece[..colon], out var from) || !TryNumber(piece[(colon + 1)..], out var to))
                return false;
            ranges.Add(from <= to ? new SequenceRange(from, to) : new SequenceRange(to, from));
        }
        set = new SequenceSet(ranges);
        return true;
    }

    /// <summary>nz-number (1 to 2^32-1) or *.</summary>
    static bool TryNumber(string text, out long number)
    {
        number = 0;
        if (text == "*")
        {
            number = Star;
            return true;
        }
        return text.Length is > 0 and <= 10 && text[0] != '0'
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out number) && number <= uint.MaxValue;
    }

    /// <summary>Whether <paramref name="value"/> is in the set, with <c>*</c> meaning <paramref name="largest"/>.</summary>
    public bool Contains(long value, long largest)
    {
        foreach (var range in Ranges)
        {
            var (from, to) = range.Resolve(largest);
            if (value >= from && value <= to)
                return true;
        }
        return false;
    }

    public override string ToString() => IsSavedResult ? "$" : string.Join(',', Ranges);
}

public readonly record struct SequenceRange(long From, long To)
{
    /// <summary>The range with "*" replaced by <paramref name="largest"/>, in order.</summary>
    public (long From, long To) Resolve(long largest)
    {
        var from = From == SequenceSet.Star ? largest : From;
        var to = To == SequenceSet.Star ? largest : To;
        return from <= to ? (from, to) : (to, from);
    }

    public override string ToString()
    {
        static string N(long n) => n == SequenceSet.Star ? "*" : n.ToString(CultureInfo.InvariantCulture);
        return From == To ? N(From) : $"{N(From)}:{N(To)}";
    }
}
