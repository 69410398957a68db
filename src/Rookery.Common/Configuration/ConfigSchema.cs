namespace Rookery.Common.Configuration;

/// <summary>
/// Every component's declared parameters. A component's schema lives in its own
/// <c>ConfigSchema.&lt;Component&gt;.cs</c> file; adding a component means adding that file and listing it in <see cref="All"/>.
/// </summary>
public static partial class ConfigSchema
{
    /// <summary>All components, in the order listings and docs show them.</summary>
    // Computed rather than initialised: static initialisers in different partial files run in no defined order.
    public static IReadOnlyList<ComponentSchema> All => [Server, Dagent, Gateway, Unix, Ldap];

    /// <summary>The component with this name (case-insensitive), or null.</summary>
    public static ComponentSchema? Find(string component) =>
        All.FirstOrDefault(schema => string.Equals(schema.Name, component, StringComparison.OrdinalIgnoreCase));
}
