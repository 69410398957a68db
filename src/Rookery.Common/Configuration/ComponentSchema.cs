namespace Rookery.Common.Configuration;

/// <summary>The parameters a component (server, unix, …) accepts in its configuration file.</summary>
public sealed record ComponentSchema(string Name, IReadOnlyList<ParameterDefinition> Parameters)
{
    /// <summary>The component's file name inside the configuration directory, e.g. server.cfg.</summary>
    public string FileName => Name + ".cfg";

    /// <summary>The parameter with this name (case-insensitive), or null when the component has none.</summary>
    public ParameterDefinition? Find(string name)
    {
        foreach (var parameter in Parameters)
        {
            if (string.Equals(parameter.Name, name, StringComparison.OrdinalIgnoreCase))
                return parameter;
        }
        return null;
    }
}
