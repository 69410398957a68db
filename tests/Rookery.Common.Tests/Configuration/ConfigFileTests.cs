using Rookery.Common.Configuration;

namespace Rookery.Common.Tests.Configuration;

public sealed class ConfigFileTests : IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = [];
    private readonly TempConfigDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private ComponentConfig LoadServer() => ConfigLoader.Load(ConfigSchema.Server, dir.Path, NoEnvironment);

    private ConfigException LoadServerFails() => Assert.Throws<ConfigException>(LoadServer);

    [Fact]
    public void Missing_file_gives_every_parameter_its_default()
    {
        var config = LoadServer();

        Assert.Equal(ConfigSchema.Server.Parameters.Count, config.All.Count);
        Assert.All(config.All, value =>
        {
            Assert.Equal(value.Definition.Default, value.Value);
            Assert.IsType<ValueSource.Default>(value.Source);
            Assert.Equal("default", value.Source.ToString());
        });
        Assert.Equal("localhost", config.GetString("mysql_host"));
        Assert.Equal(3306, config.GetInt("mysql_port"));
        Assert.Equal(["imap", "pop3"], config.GetList("disabled_features"));
        Assert.Empty(config.PropMap);
    }

    [Fact]
    public void Missing_config_directory_gives_defaults_too()
    {
        var config = ConfigLoader.Load(ConfigSchema.Unix, Path.Combine(dir.Path, "absent"), NoEnvironment);

        Assert.Equal(1000, config.GetInt("min_user_uid"));
    }

    [Fact]
    public void File_value_is_used_and_its_source_names_file_and_line()
    {
        var file = dir.Write("server.cfg", "# database\n\nmysql_host = db.example.org\n");

        var value = LoadServer().Get("mysql_host");

        Assert.Equal("db.example.org", value.Value);
        Assert.Equal(new ValueSource.FromFile(file, 3), value.Source);
        Assert.Equal(file + ":3", value.Source.ToString());
    }

    [Fact]
    public void Whitespace_is_trimmed_and_only_a_leading_hash_starts_a_comment()
    {
        dir.Write("server.cfg", "   # indented comment = ignored\n\t mysql_password   =  s3cret#1  \r\nmysql_user = a # b\n");

        var config = LoadServer();

        Assert.Equal("s3cret#1", config.GetString("mysql_password"));
        Assert.Equal("a # b", config.GetString("mysql_user"));
    }

    [Fact]
    public void Empty_value_is_allowed_and_replaces_the_default()
    {
        dir.Write("server.cfg", "mysql_host =\n");

        var value = LoadServer().Get("mysql_host");

        Assert.Equal("", value.Value);
        Assert.IsType<ValueSource.FromFile>(value.Source);
    }

    [Fact]
    public void Parameter_names_in_files_are_case_insensitive()
    {
        dir.Write("server.cfg", "MySQL_Host = db\n");

        Assert.Equal("db", LoadServer().GetString("mysql_host"));
    }

    [Fact]
    public void Parameter_set_twice_keeps_the_last_value()
    {
        var file = dir.Write("server.cfg", "log_level = 4\nlog_level = 6\n");

        var value = LoadServer().Get("log_level");

        Assert.Equal("6", value.Value);
        Assert.Equal(new ValueSource.FromFile(file, 2), value.Source);
    }

    [Fact]
    public void Relative_include_resolves_against_the_including_file_directory()
    {
        dir.Write("server.cfg", "!include db/database.cfg\n");
        dir.Write("db/database.cfg", "mysql_host = db.example.org\n!include port.cfg\n");
        var portFile = dir.Write("db/port.cfg", "mysql_port = 3307\n");
        dir.Write("port.cfg", "mysql_port = 1\n");

        var config = LoadServer();

        Assert.Equal("db.example.org", config.GetString("mysql_host"));
        Assert.Equal(3307, config.GetInt("mysql_port"));
        Assert.Equal(new ValueSource.FromFile(portFile, 1), config.Get("mysql_port").Source);
    }

    [Fact]
    public void Include_overrides_lines_before_it_and_lines_after_it_override_the_include()
    {
        var main = dir.Write("server.cfg", "mysql_host = before\nmysql_user = before\n!include extra.cfg\nmysql_user = after\n");
        var extra = dir.Write("extra.cfg", "mysql_host = included\nmysql_user = included\n");

        var config = LoadServer();

        Assert.Equal("included", config.GetString("mysql_host"));
        Assert.Equal(new ValueSource.FromFile(extra, 1), config.Get("mysql_host").Source);
        Assert.Equal("after", config.GetString("mysql_user"));
        Assert.Equal(new ValueSource.FromFile(main, 4), config.Get("mysql_user").Source);
    }

    [Fact]
    public void Same_file_included_twice_without_a_cycle_is_allowed()
    {
        dir.Write("server.cfg", "!include a.cfg\n!include common.cfg\n");
        dir.Write("a.cfg", "!include common.cfg\n");
        dir.Write("common.cfg", "log_level = 5\n");

        Assert.Equal(5, LoadServer().GetInt("log_level"));
    }

    [Fact]
    public void Include_cycle_is_an_error_naming_the_file_and_line()
    {
        var main = dir.Write("server.cfg", "log_level = 4\n!include a.cfg\n");
        var a = dir.Write("a.cfg", "\n!include b.cfg\n");
        var b = dir.Write("b.cfg", "# back\n\n!include a.cfg\n");

        var error = LoadServerFails();

        Assert.Equal(b, error.File);
        Assert.Equal(3, error.Line);
        Assert.Equal($"{b}:3: include cycle: {a} -> {b} -> {a}", error.Message);
        Assert.DoesNotContain(main, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_including_itself_is_a_cycle()
    {
        var main = dir.Write("server.cfg", "!include ./server.cfg\n");

        var error = LoadServerFails();

        Assert.Equal($"{main}:1: include cycle: {main} -> {main}", error.Message);
    }

    [Fact]
    public void Missing_include_file_is_an_error_at_the_directive()
    {
        var main = dir.Write("server.cfg", "\n!include nothere.cfg\n");

        var error = LoadServerFails();

        Assert.Equal(main, error.File);
        Assert.Equal(2, error.Line);
        Assert.Equal($"{main}:2: included file '{Path.Combine(dir.Path, "nothere.cfg")}' does not exist", error.Message);
    }

    [Fact]
    public void Propmap_pairs_are_collected_in_order_with_case_insensitive_names_and_not_checked()
    {
        dir.Write("server.cfg", "!propmap maps/ldap.propmap.cfg\nlog_level = 5\n!propmap extra.propmap.cfg\n");
        dir.Write("maps/ldap.propmap.cfg", "# LDAP attributes\n0x8104001E = zarafaHomeServer\n0x3A06001E=givenName\nnot_a_parameter = x = y\n");
        dir.Write("extra.propmap.cfg", "0x3a06001e = firstName\n0x3A11001E = sn\n");

        var config = LoadServer();

        Assert.Equal(
            [
                KeyValuePair.Create("0x8104001E", "zarafaHomeServer"),
                KeyValuePair.Create("0x3A06001E", "firstName"),
                KeyValuePair.Create("not_a_parameter", "x = y"),
                KeyValuePair.Create("0x3A11001E", "sn"),
            ],
            config.PropMap.ToArray());
        Assert.Equal("firstName", config.PropMap["0X3A06001E"]);
        Assert.Equal(5, config.GetInt("log_level"));
    }

    [Fact]
    public void Malformed_propmap_line_names_the_propmap_file()
    {
        dir.Write("server.cfg", "!propmap ldap.propmap.cfg\n");
        var map = dir.Write("ldap.propmap.cfg", "a = b\njust words\n");

        var error = LoadServerFails();

        Assert.Equal(map, error.File);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Unknown_parameter_fails_naming_file_and_line()
    {
        var main = dir.Write("server.cfg", "mysql_host = db\nmysql_hots = db\n");

        var error = LoadServerFails();

        Assert.Equal($"{main}:2: unknown parameter 'mysql_hots' for component server", error.Message);
        Assert.Equal(main, error.File);
        Assert.Equal(2, error.Line);
        Assert.Null(error.Variable);
    }

    [Fact]
    public void Unknown_parameter_in_an_included_file_names_that_file()
    {
        dir.Write("server.cfg", "!include extra.cfg\n");
        var extra = dir.Write("extra.cfg", "log_level = 2\nmin_user_uid = 500\n");

        var error = LoadServerFails();

        Assert.Equal($"{extra}:2: unknown parameter 'min_user_uid' for component server", error.Message);
    }

    [Theory]
    [InlineData("mysql_host localhost", "expected 'name = value', '!include FILE' or '!propmap FILE', got 'mysql_host localhost'")]
    [InlineData("  = localhost", "missing parameter name before '=' in '= localhost'")]
    [InlineData("!inclde other.cfg", "unknown directive '!inclde', expected !include FILE or !propmap FILE")]
    [InlineData("!include", "!include needs a file name")]
    public void Malformed_line_fails_saying_what_was_expected(string line, string problem)
    {
        var main = dir.Write("server.cfg", "# header\n" + line + "\n");

        var error = LoadServerFails();

        Assert.Equal($"{main}:2: {problem}", error.Message);
        Assert.Equal(2, error.Line);
    }
}
