using System.Globalization;

namespace Rookery.Common.Configuration;

/// <summary>
/// The effective configuration of one component: every schema parameter with its checked value and source.
/// Asking for a parameter the schema does not declare is a programming error (ArgumentException).
/// </summary>
public sealed class ComponentConfig
{
    private readonly ParameterValue[] values;
    private readonly Dictionary<string, int> indexByName;

    internal ComponentConfig(ComponentSchema schema, ParameterValue[] values, IReadOnlyDictionary<string, string> propMap)
    {
        Schema = schema;
        this.values = values;
        All = Array.AsReadOnly(values);
        PropMap = propMap;
        indexByName = new Dictionary<string, int>(values.Length, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < values.Length; i++)
            indexByName[values[i].Definition.Name] = i;
    }

    public ComponentSchema Schema { get; }

    /// <summary>Every parameter, in schema order.</summary>
    public IReadOnlyList<ParameterValue> All { get; }

    /// <summary>Pairs from <c>!propmap</c> files, in file order; names are case-insensitive and not checked.</summary>
    public IReadOnlyDictionary<string, string> PropMap { get; }

    public ParameterValue Get(string name) =>
        indexByName.TryGetValue(name, out var index)
            ? values[index]
            : throw new ArgumentException($"'{name}' is not a parameter of component {Schema.Name}.", nameof(name));

    public string GetString(string name) => Get(name).Value;

    public int GetInt(string name) =>
        int.Parse(Get(name, ParameterKind.Int).Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    public bool GetBool(string name) => Get(name, ParameterKind.Bool).Value == "yes";

    /// <summary>The words of a List parameter or the addresses of a Listen parameter; empty when the value is.</summary>
    public IReadOnlyList<string> GetList(string name)
    {
        var value = Get(name);
        return value.Definition.Kind switch
        {
            ParameterKind.List => ValueParser.SplitList(value.Value),
            ParameterKind.Listen => ValueParser.SplitListen(value.Value),
            _ => throw WrongKind(name, value.Definition, "List or Listen"),
        };
    }

    /// <summary>The parsed addresses of a Listen parameter.</summary>
    public IReadOnlyList<ListenAddress> GetListen(string name) =>
        ValueParser.SplitListen(Get(name, ParameterKind.Listen).Value)
            .Select(spec => ListenAddress.TryParse(spec, out var address)
                ? address
                : throw new InvalidOperationException($"Unchecked listen address '{spec}' in {name}."))
            .ToArray();

    private ParameterValue Get(string name, ParameterKind kind)
    {
        var value = Get(name);
        return value.Definition.Kind == kind ? value : throw WrongKind(name, value.Definition, kind.ToString());
    }

    private static ArgumentException WrongKind(string name, ParameterDefinition definition, string expected) =>
        new($"Parameter {definition.Name} is of kind {definition.Kind}, not {expected}.", nameof(name));
}
