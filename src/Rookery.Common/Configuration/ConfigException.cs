namespace Rookery.Common.Configuration;

/// <summary>
/// A configuration file, environment variable or override could not be accepted.
/// The message says where (file:line, variable or origin) and what was expected.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException()
    {
    }

    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ConfigException(string message, string? file, int line, string? variable, Exception? innerException = null)
        : base(message, innerException)
    {
        File = file;
        Line = line;
        Variable = variable;
    }

    /// <summary>The file at fault, or null when the problem is not in a file.</summary>
    public string? File { get; }

    /// <summary>The 1-based line in <see cref="File"/>, or 0 when not applicable.</summary>
    public int Line { get; }

    /// <summary>The environment variable at fault, or null.</summary>
    public string? Variable { get; }

    internal static ConfigException InFile(string file, int line, string problem, Exception? innerException = null) =>
        new(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}", file, line, null, innerException);

    internal static ConfigException InEnvironment(string variable, string problem) =>
        new($"environment {variable}: {problem}", null, 0, variable);

    internal static ConfigException InOverride(string origin, string problem) =>
        new($"{origin}: {problem}", null, 0, null);
}
