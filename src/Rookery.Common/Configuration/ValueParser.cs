using System.Globalization;

namespace Rookery.Common.Configuration;

/// <summary>Checks a parameter's text against its kind and brings it into canonical form.</summary>
internal static class ValueParser
{
    private static readonly char[] ListSeparators = [' ', '\t', ','];
    private static readonly char[] ListenSeparators = [' ', '\t'];

    /// <summary>
    /// Returns true with the canonical value, or false with a problem that starts with the parameter name,
    /// e.g. "attachment_compression must be an integer from 0 to 9, got 'ten'".
    /// </summary>
    public static bool TryNormalize(ParameterDefinition definition, string text, out string value, out string problem)
    {
        value = text;
        problem = "";
        var name = definition.Name;
        switch (definition.Kind)
        {
            case ParameterKind.String:
                return true;

            case ParameterKind.Int:
                if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                    && number >= definition.Min && number <= definition.Max)
                {
                    value = number.ToString(CultureInfo.InvariantCulture);
                    return true;
                }
                problem = $"{name} must be {DescribeInteger(definition)}, got '{text}'";
                return false;

            case ParameterKind.Bool:
                switch (text.ToLowerInvariant())
                {
                    case "yes" or "true" or "on" or "1":
                        value = "yes";
                        return true;
                    case "no" or "false" or "off" or "0":
                        value = "no";
                        return true;
                    default:
                        problem = $"{name} must be yes or no (or true/false, on/off, 1/0), got '{text}'";
                        return false;
                }

            case ParameterKind.Enum:
                foreach (var allowed in definition.Allowed)
                {
                    if (string.Equals(allowed, text, StringComparison.OrdinalIgnoreCase))
                    {
                        value = allowed.ToLowerInvariant();
                        return true;
                    }
                }
                problem = $"{name} must be one of {string.Join(", ", definition.Allowed)}, got '{text}'";
                return false;

            case ParameterKind.List:
                var words = SplitList(text);
                if (definition.Allowed.Count > 0)
                {
                    for (var i = 0; i < words.Length; i++)
                    {
                        var match = definition.Allowed.FirstOrDefault(
                            allowed => string.Equals(allowed, words[i], StringComparison.OrdinalIgnoreCase));
                        if (match is null)
                        {
                            problem = $"{name} may only contain {string.Join(", ", definition.Allowed)}, got '{words[i]}'";
                            return false;
                        }
                        words[i] = match.ToLowerInvariant();
                    }
                }
                value = string.Join(' ', words);
                return true;

            case ParameterKind.Listen:
                var specs = SplitListen(text);
                foreach (var spec in specs)
                {
                    if (!ListenAddress.TryParse(spec, out _))
                    {
                        problem = $"{name} must be a space-separated list of host:port, *:port, [v6]:port or unix:/path, got '{spec}'";
                        return false;
                    }
                }
                value = string.Join(' ', specs);
                return true;

            default:
                throw new InvalidOperationException($"Parameter {name} has unknown kind {definition.Kind}.");
        }
    }

    public static string[] SplitList(string value) =>
        value.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries);

    public static string[] SplitListen(string value) =>
        value.Split(ListenSeparators, StringSplitOptions.RemoveEmptyEntries);

    private static string DescribeInteger(ParameterDefinition definition) => (definition.Min, definition.Max) switch
    {
        (int.MinValue, int.MaxValue) => "an integer",
        (_, int.MaxValue) => $"an integer of at least {definition.Min}",
        (int.MinValue, _) => $"an integer of at most {definition.Max}",
        _ => $"an integer from {definition.Min} to {definition.Max}",
    };
}
