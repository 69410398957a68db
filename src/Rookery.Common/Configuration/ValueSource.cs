namespace Rookery.Common.Configuration;

/// <summary>Where a parameter's effective value came from.</summary>
public abstract record ValueSource
{
    private protected ValueSource()
    {
    }

    /// <summary>Nothing set the parameter; it has its schema default.</summary>
    public sealed record Default : ValueSource
    {
        public override string ToString() => "default";
    }

    /// <summary>A line of a configuration file (the component's own file or one it includes).</summary>
    public sealed record FromFile(string Path, int Line) : ValueSource
    {
        public override string ToString() => $"{Path}:{Line}";
    }

    /// <summary>An environment variable, plain (MYSQL_HOST) or component-prefixed (SERVER_MYSQL_HOST).</summary>
    public sealed record FromEnvironment(string Variable) : ValueSource
    {
        public override string ToString() => "env " + Variable;
    }

    /// <summary>An explicit override applied by the program, such as a command-line flag.</summary>
    public sealed record Override(string Origin) : ValueSource
    {
        public override string ToString() => Origin;
    }

    public abstract override string ToString();
}
