namespace Rookery.Common.Configuration;

/// <summary>How a parameter's text is checked and read.</summary>
public enum ParameterKind
{
    /// <summary>Any text, taken as written.</summary>
    String,

    /// <summary>A decimal integer within the definition's Min and Max.</summary>
    Int,

    /// <summary>yes/no, true/false, on/off or 1/0.</summary>
    Bool,

    /// <summary>One of the definition's Allowed words, case-insensitive.</summary>
    Enum,

    /// <summary>Words separated by spaces and/or commas; restricted to Allowed when that is not empty.</summary>
    List,

    /// <summary>Space-separated listen addresses: host:port, *:port, [v6]:port or unix:/path.</summary>
    Listen,
}
