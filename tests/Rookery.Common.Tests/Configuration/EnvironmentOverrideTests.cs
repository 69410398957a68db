using Rookery.Common.Configuration;

namespace Rookery.Common.Tests.Configuration;

public sealed class EnvironmentOverrideTests : IDisposable
{
    // Stands in for a later component (dagent, gateway, ...) that shares parameters with the server.
    private static readonly ComponentSchema Gateway = new("gateway",
    [
        new("log_level", ParameterKind.Int, "3", "Log verbosity.") { Min = 0, Max = 6 },
        new("mysql_host", ParameterKind.String, "localhost", "Not really a gateway parameter."),
    ]);

    private readonly TempConfigDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private ComponentConfig Load(ComponentSchema schema, Dictionary<string, string> environment) =>
        ConfigLoader.Load(schema, dir.Path, environment);

    [Fact]
    public void Plain_environment_variable_sets_the_parameter_in_every_component_that_has_it()
    {
        Dictionary<string, string> environment = new() { ["LOG_LEVEL"] = "5" };

        var server = Load(ConfigSchema.Server, environment).Get("log_level");
        var gateway = Load(Gateway, environment).Get("log_level");

        Assert.Equal(("5", "env LOG_LEVEL"), (server.Value, server.Source.ToString()));
        Assert.Equal(("5", "env LOG_LEVEL"), (gateway.Value, gateway.Source.ToString()));
        Assert.Equal(new ValueSource.FromEnvironment("LOG_LEVEL"), server.Source);
    }

    [Fact]
    public void Plain_environment_variable_wins_over_the_file()
    {
        dir.Write("server.cfg", "mysql_host = from-file\nmysql_user = from-file\n");

        var config = Load(ConfigSchema.Server, new() { ["MYSQL_HOST"] = "from-env" });

        Assert.Equal("from-env", config.GetString("mysql_host"));
        Assert.Equal("from-file", config.GetString("mysql_user"));
    }

    [Fact]
    public void Prefixed_environment_variable_wins_over_plain_one()
    {
        dir.Write("server.cfg", "mysql_host = from-file\n");
        Dictionary<string, string> environment = new()
        {
            ["SERVER_MYSQL_HOST"] = "prefixed",
            ["MYSQL_HOST"] = "plain",
        };

        var value = Load(ConfigSchema.Server, environment).Get("mysql_host");

        Assert.Equal("prefixed", value.Value);
        Assert.Equal("env SERVER_MYSQL_HOST", value.Source.ToString());
    }

    [Fact]
    public void Prefixed_environment_variable_applies_only_to_its_component()
    {
        Dictionary<string, string> environment = new() { ["SERVER_LOG_LEVEL"] = "6", ["GATEWAY_MYSQL_HOST"] = "gw-db" };

        var server = Load(ConfigSchema.Server, environment);
        var gateway = Load(Gateway, environment);

        Assert.Equal(6, server.GetInt("log_level"));
        Assert.Equal("localhost", server.GetString("mysql_host"));
        Assert.Equal(3, gateway.GetInt("log_level"));
        Assert.IsType<ValueSource.Default>(gateway.Get("log_level").Source);
        Assert.Equal("gw-db", gateway.GetString("mysql_host"));
    }

    [Fact]
    public void Variables_that_name_no_declared_parameter_are_ignored()
    {
        Dictionary<string, string> environment = new()
        {
            ["PATH"] = "/usr/bin",
            ["HOME"] = "/root",
            ["SERVER_NO_SUCH_THING"] = "x",
            ["mysql_host"] = "lower-case names are not matched",
            ["UNIX_LOG_LEVEL"] = "not a unix parameter",
        };

        var server = Load(ConfigSchema.Server, environment);
        var unix = Load(ConfigSchema.Unix, environment);

        Assert.All(server.All, value => Assert.IsType<ValueSource.Default>(value.Source));
        Assert.All(unix.All, value => Assert.IsType<ValueSource.Default>(value.Source));
    }

    [Fact]
    public void Environment_values_are_checked_and_canonicalised_like_file_values()
    {
        var config = Load(ConfigSchema.Server, new() { ["DATABASE_ENGINE"] = " PostgreSQL ", ["DISABLED_FEATURES"] = "imap,webapp" });

        Assert.Equal("postgresql", config.GetString("database_engine"));
        Assert.Equal(["imap", "webapp"], config.GetList("disabled_features"));
    }

    [Fact]
    public void Invalid_environment_value_fails_naming_the_variable()
    {
        var error = Assert.Throws<ConfigException>(
            () => Load(ConfigSchema.Server, new() { ["SERVER_LOG_LEVEL"] = "loud" }));

        Assert.Equal("environment SERVER_LOG_LEVEL: log_level must be an integer from 0 to 6, got 'loud'", error.Message);
        Assert.Equal("SERVER_LOG_LEVEL", error.Variable);
        Assert.Null(error.File);
        Assert.Equal(0, error.Line);
    }

    [Fact]
    public void Overrides_win_over_file_and_environment_and_report_their_origin()
    {
        dir.Write("server.cfg", "database_engine = mysql\nlog_level = 2\n");
        Dictionary<string, string> environment = new() { ["SERVER_DATABASE_ENGINE"] = "postgresql" };
        Dictionary<string, string> overrides = new() { ["database_engine"] = "SQLite" };

        var config = ConfigLoader.Load(ConfigSchema.Server, dir.Path, environment, overrides, "--demo");

        Assert.Equal("sqlite", config.GetString("database_engine"));
        Assert.Equal(new ValueSource.Override("--demo"), config.Get("database_engine").Source);
        Assert.Equal("--demo", config.Get("database_engine").Source.ToString());
        Assert.Equal(2, config.GetInt("log_level"));
    }

    [Fact]
    public void Overrides_without_an_origin_are_reported_as_override()
    {
        var config = ConfigLoader.Load(ConfigSchema.Server, dir.Path, new Dictionary<string, string>(), new Dictionary<string, string> { ["log_level"] = "6" });

        Assert.Equal("override", config.Get("log_level").Source.ToString());
    }

    [Fact]
    public void Invalid_or_unknown_override_fails_naming_its_origin()
    {
        var empty = new Dictionary<string, string>();

        var bad = Assert.Throws<ConfigException>(() => ConfigLoader.Load(
            ConfigSchema.Server, dir.Path, empty, new Dictionary<string, string> { ["log_level"] = "9" }, "--log-level"));
        var unknown = Assert.Throws<ConfigException>(() => ConfigLoader.Load(
            ConfigSchema.Server, dir.Path, empty, new Dictionary<string, string> { ["min_user_uid"] = "1" }, "--demo"));

        Assert.Equal("--log-level: log_level must be an integer from 0 to 6, got '9'", bad.Message);
        Assert.Equal("--demo: unknown parameter 'min_user_uid' for component server", unknown.Message);
    }
}
