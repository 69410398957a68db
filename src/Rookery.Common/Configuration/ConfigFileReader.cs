namespace Rookery.Common.Configuration;

/// <summary>One <c>name = value</c> line, with the file and line it was read from.</summary>
internal sealed record ConfigAssignment(string Name, string Value, string File, int Line);

/// <summary>
/// Reads a Kopano-format configuration file: <c>name = value</c> lines, whole-line <c>#</c> comments,
/// <c>!include FILE</c> expanded in place and <c>!propmap FILE</c> collected separately.
/// Knows nothing about schemas; the loader checks names and values.
/// </summary>
internal sealed class ConfigFileReader
{
    // Symlinks can hide a cycle from the path comparison; the depth limit stops those too.
    private const int MaxIncludeDepth = 32;

    private readonly List<ConfigAssignment> assignments = [];
    private readonly OrderedDictionary<string, string> propMap = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> includeChain = [];

    private ConfigFileReader()
    {
    }

    public IReadOnlyList<ConfigAssignment> Assignments => assignments;

    public OrderedDictionary<string, string> PropMap => propMap;

    /// <summary>Reads <paramref name="path"/> and everything it includes, in order.</summary>
    public static ConfigFileReader Read(string path)
    {
        var reader = new ConfigFileReader();
        reader.ReadConfigFile(Path.GetFullPath(path));
        return reader;
    }

    /// <summary>Reads a property map file on its own (<c>name = attribute</c> lines).</summary>
    public static OrderedDictionary<string, string> ReadPropMapFile(string path)
    {
        var reader = new ConfigFileReader();
        reader.ReadPropMap(Path.GetFullPath(path));
        return reader.PropMap;
    }

    private void ReadConfigFile(string path)
    {
        includeChain.Add(path);
        var lines = ReadLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNumber = i + 1;
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            if (line[0] == '!')
            {
                ReadDirective(path, lineNumber, line);
                continue;
            }
            var (name, value) = SplitAssignment(path, lineNumber, line, "'name = value', '!include FILE' or '!propmap FILE'");
            assignments.Add(new ConfigAssignment(name, value, path, lineNumber));
        }
        includeChain.RemoveAt(includeChain.Count - 1);
    }

    private void ReadDirective(string path, int lineNumber, string line)
    {
        var end = line.IndexOfAny([' ', '\t']);
        var directive = end < 0 ? line : line[..end];
        var argument = end < 0 ? "" : line[end..].Trim();
        if (directive is not ("!include" or "!propmap"))
            throw ConfigException.InFile(path, lineNumber, $"unknown directive '{directive}', expected !include FILE or !propmap FILE");
        if (argument.Length == 0)
            throw ConfigException.InFile(path, lineNumber, $"{directive} needs a file name");

        var target = Path.GetFullPath(argument, Path.GetDirectoryName(path)!);
        if (!File.Exists(target))
        {
            var what = directive == "!include" ? "included file" : "property map";
            throw ConfigException.InFile(path, lineNumber, $"{what} '{target}' does not exist");
        }

        if (directive == "!propmap")
        {
            ReadPropMap(target);
            return;
        }

        if (includeChain.Contains(target, StringComparer.Ordinal))
        {
            var cycle = string.Join(" -> ", includeChain.SkipWhile(p => p != target).Append(target));
            throw ConfigException.InFile(path, lineNumber, $"include cycle: {cycle}");
        }
        if (includeChain.Count >= MaxIncludeDepth)
            throw ConfigException.InFile(path, lineNumber, $"includes nested more than {MaxIncludeDepth} levels deep");
        ReadConfigFile(target);
    }

    private void ReadPropMap(string path)
    {
        var lines = ReadLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            if (line[0] == '!')
                throw ConfigException.InFile(path, i + 1, "directives are not allowed in a property map");
            var (name, value) = SplitAssignment(path, i + 1, line, "'name = value'");
            propMap[name] = value;
        }
    }

    private static (string Name, string Value) SplitAssignment(string path, int lineNumber, string line, string expected)
    {
        var equals = line.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
            throw ConfigException.InFile(path, lineNumber, $"expected {expected}, got '{line}'");
        var name = line[..equals].Trim();
        if (name.Length == 0)
            throw ConfigException.InFile(path, lineNumber, $"missing parameter name before '=' in '{line}'");
        return (name, line[(equals + 1)..].Trim());
    }

    private static string[] ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ConfigException.InFile(path, 0, "cannot read file: " + e.Message, e);
        }
    }
}
