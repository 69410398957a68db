namespace Rookery;

/// <summary>Where configuration and data live: flags, then ROOKERY_CONFIG_DIR/ROOKERY_DATA_DIR, then the system or per-user defaults.</summary>
public sealed record RookeryPaths(string ConfigDirectory, string DataDirectory)
{
    public const string SystemConfigDirectory = "/etc/rookery";
    public const string SystemDataDirectory = "/var/lib/rookery";

    public static RookeryPaths Resolve(string? configFlag, string? dataFlag, IReadOnlyDictionary<string, string> environment)
    {
        var isRoot = Environment.UserName == "root";
        var config = configFlag ?? (environment.GetValueOrDefault("ROOKERY_CONFIG_DIR") is { Length: > 0 } c ? c : null);
        config ??= isRoot || System.IO.Directory.Exists(SystemConfigDirectory)
            ? SystemConfigDirectory
            : Path.Combine(XdgHome(environment, "XDG_CONFIG_HOME", ".config"), "rookery");
        var data = dataFlag ?? (environment.GetValueOrDefault("ROOKERY_DATA_DIR") is { Length: > 0 } d ? d : null);
        data ??= isRoot ? SystemDataDirectory : Path.Combine(XdgHome(environment, "XDG_DATA_HOME", Path.Combine(".local", "share")), "rookery");
        return new RookeryPaths(Path.GetFullPath(config), Path.GetFullPath(data));
    }

    static string XdgHome(IReadOnlyDictionary<string, string> environment, string variable, string fallback) =>
        environment.GetValueOrDefault(variable) is { Length: > 0 } value
            ? value
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), fallback);
}
