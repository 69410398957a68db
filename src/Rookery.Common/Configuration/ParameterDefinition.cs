namespace Rookery.Common.Configuration;

/// <summary>One declared configuration parameter: its original (Kopano) name, kind, default and meaning.</summary>
public sealed record ParameterDefinition(string Name, ParameterKind Kind, string Default, string Description)
{
    /// <summary>Smallest accepted value of an <see cref="ParameterKind.Int"/> parameter.</summary>
    public int Min { get; init; } = int.MinValue;

    /// <summary>Largest accepted value of an <see cref="ParameterKind.Int"/> parameter.</summary>
    public int Max { get; init; } = int.MaxValue;

    /// <summary>Accepted words of an Enum parameter, or of a List parameter's items (empty: any word).</summary>
    public IReadOnlyList<string> Allowed { get; init; } = [];

    /// <summary>The value is a credential that listings should not print.</summary>
    public bool IsSecret { get; init; }

    /// <summary>Short description of the accepted values, e.g. "integer 0-9", for listings and docs.</summary>
    public string Syntax => Kind switch
    {
        ParameterKind.String => "text",
        ParameterKind.Int => (Min, Max) switch
        {
            (int.MinValue, int.MaxValue) => "integer",
            (_, int.MaxValue) => $"integer >= {Min}",
            (int.MinValue, _) => $"integer <= {Max}",
            _ => $"integer {Min}-{Max}",
        },
        ParameterKind.Bool => "yes/no",
        ParameterKind.Enum => string.Join(", ", Allowed),
        ParameterKind.List => Allowed.Count == 0 ? "list of words" : "list of: " + string.Join(", ", Allowed),
        ParameterKind.Listen => "listen addresses",
        _ => Kind.ToString(),
    };
}
