using System.CommandLine;
using Rookery.Common.Configuration;

namespace Rookery;

/// <summary>Options every verb takes, and loading the server component's configuration with them.</summary>
public sealed class CommonOptions
{
    public Option<string?> ConfigDir { get; } = new("--config-dir") { Description = "Directory with the component .cfg files (default /etc/rookery, or ROOKERY_CONFIG_DIR)", Recursive = true };
    public Option<string?> DataDir { get; } = new("--data-dir") { Description = "Directory for the database and attachments (default /var/lib/rookery, or ROOKERY_DATA_DIR)", Recursive = true };
    public Option<bool> Json { get; } = new("--json") { Description = "Machine-readable output", Recursive = true };

    public RookeryPaths Paths(ParseResult parse) =>
        RookeryPaths.Resolve(parse.GetValue(ConfigDir), parse.GetValue(DataDir), ConfigLoader.ProcessEnvironment());

    public ComponentConfig LoadServerConfig(ParseResult parse, IReadOnlyDictionary<string, string>? overrides = null) =>
        ConfigLoader.Load(ConfigSchema.Server, Paths(parse).ConfigDirectory, ConfigLoader.ProcessEnvironment(), overrides ?? new Dictionary<string, string>());
}
