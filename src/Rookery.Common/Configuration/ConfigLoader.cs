using System.Collections;
using System.Collections.ObjectModel;

namespace Rookery.Common.Configuration;

/// <summary>
/// Builds a component's configuration from, lowest to highest precedence: schema defaults,
/// <c>&lt;configDirectory&gt;/&lt;component&gt;.cfg</c> with its includes, plain environment variables
/// (MYSQL_HOST), component-prefixed ones (SERVER_MYSQL_HOST), and explicit overrides.
/// </summary>
public static class ConfigLoader
{
    /// <summary>The origin reported for overrides when the caller names none.</summary>
    public const string DefaultOverrideOrigin = "override";

    public static ComponentConfig Load(
        ComponentSchema schema, string configDirectory, IReadOnlyDictionary<string, string> environment) =>
        Load(schema, configDirectory, environment, ReadOnlyDictionary<string, string>.Empty, DefaultOverrideOrigin);

    public static ComponentConfig Load(
        ComponentSchema schema,
        string configDirectory,
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, string> overrides) =>
        Load(schema, configDirectory, environment, overrides, DefaultOverrideOrigin);

    /// <param name="overrideOrigin">What set the overrides, shown as their source, e.g. "--demo".</param>
    public static ComponentConfig Load(
        ComponentSchema schema,
        string configDirectory,
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, string> overrides,
        string overrideOrigin) =>
        LoadFile(schema, Path.Combine(configDirectory, schema.FileName), environment, overrides, overrideOrigin);

    /// <summary>Loads a component from an explicitly named file (a plugin's <c>user_plugin_config</c>); a missing file means defaults.</summary>
    public static ComponentConfig LoadFile(
        ComponentSchema schema,
        string path,
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, string> overrides,
        string overrideOrigin = DefaultOverrideOrigin)
    {
        var parameters = schema.Parameters;
        var values = new ParameterValue[parameters.Count];
        var indexByName = new Dictionary<string, int>(parameters.Count, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < parameters.Count; i++)
        {
            var definition = parameters[i];
            if (!indexByName.TryAdd(definition.Name, i))
                throw new InvalidOperationException($"Component {schema.Name} declares {definition.Name} twice.");
            if (!ValueParser.TryNormalize(definition, definition.Default, out var value, out var problem))
                throw new InvalidOperationException($"Component {schema.Name} has an invalid default: {problem}.");
            values[i] = new ParameterValue(definition, value, new ValueSource.Default());
        }

        IReadOnlyDictionary<string, string> propMap = ReadOnlyDictionary<string, string>.Empty;
        var file = Path.GetFullPath(path);
        if (File.Exists(file))
        {
            var reader = ConfigFileReader.Read(file);
            foreach (var assignment in reader.Assignments)
            {
                if (!indexByName.TryGetValue(assignment.Name, out var index))
                {
                    throw ConfigException.InFile(assignment.File, assignment.Line,
                        $"unknown parameter '{assignment.Name}' for component {schema.Name}");
                }
                var definition = parameters[index];
                if (!ValueParser.TryNormalize(definition, assignment.Value, out var value, out var problem))
                    throw ConfigException.InFile(assignment.File, assignment.Line, problem);
                values[index] = new ParameterValue(definition, value, new ValueSource.FromFile(assignment.File, assignment.Line));
            }
            propMap = new ReadOnlyDictionary<string, string>(reader.PropMap);
        }

        // Plain names first so that the component-prefixed form wins, as in the mlan/kopano image.
        var prefix = schema.Name.ToUpperInvariant() + "_";
        foreach (var variablePrefix in (string[])["", prefix])
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                var definition = parameters[i];
                var variable = variablePrefix + definition.Name.ToUpperInvariant();
                if (!environment.TryGetValue(variable, out var text))
                    continue;
                if (!ValueParser.TryNormalize(definition, text.Trim(), out var value, out var problem))
                    throw ConfigException.InEnvironment(variable, problem);
                values[i] = new ParameterValue(definition, value, new ValueSource.FromEnvironment(variable));
            }
        }

        foreach (var (name, text) in overrides)
        {
            if (!indexByName.TryGetValue(name, out var index))
                throw ConfigException.InOverride(overrideOrigin, $"unknown parameter '{name}' for component {schema.Name}");
            var definition = parameters[index];
            if (!ValueParser.TryNormalize(definition, text.Trim(), out var value, out var problem))
                throw ConfigException.InOverride(overrideOrigin, problem);
            values[index] = new ParameterValue(definition, value, new ValueSource.Override(overrideOrigin));
        }

        return new ComponentConfig(schema, values, propMap);
    }

    /// <summary>The pairs of a property map file (what <c>!propmap FILE</c> reads), in file order.</summary>
    public static IReadOnlyDictionary<string, string> ReadPropMap(string path) => ConfigFileReader.ReadPropMapFile(path);

    /// <summary>A snapshot of this process's environment variables, for <see cref="Load(ComponentSchema, string, IReadOnlyDictionary{string, string})"/>.</summary>
    public static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        var snapshot = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value)
                snapshot[key] = value;
        }
        return snapshot;
    }
}
