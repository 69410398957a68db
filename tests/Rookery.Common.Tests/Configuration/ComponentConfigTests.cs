using Rookery.Common.Configuration;

namespace Rookery.Common.Tests.Configuration;

public sealed class ComponentConfigTests
{
    private static ComponentConfig Defaults(ComponentSchema schema) =>
        ConfigLoader.Load(schema, Path.Combine(Path.GetTempPath(), "rookery-no-such-config-dir"), new Dictionary<string, string>());

    [Fact]
    public void All_lists_every_parameter_in_schema_order()
    {
        var config = Defaults(ConfigSchema.Unix);

        Assert.Equal(ConfigSchema.Unix.Parameters.Select(p => p.Name), config.All.Select(v => v.Definition.Name));
        Assert.Same(ConfigSchema.Unix, config.Schema);
    }

    [Fact]
    public void Asking_for_an_undeclared_parameter_is_an_argument_error()
    {
        var config = Defaults(ConfigSchema.Server);

        Assert.Throws<ArgumentException>(() => config.Get("mysql_hots"));
        Assert.Throws<ArgumentException>(() => config.GetString("min_user_uid"));
    }

    [Fact]
    public void Reading_a_parameter_as_the_wrong_kind_is_an_argument_error()
    {
        var config = Defaults(ConfigSchema.Server);

        Assert.Throws<ArgumentException>(() => config.GetInt("mysql_host"));
        Assert.Throws<ArgumentException>(() => config.GetBool("log_level"));
        Assert.Throws<ArgumentException>(() => config.GetList("mysql_host"));
        Assert.Throws<ArgumentException>(() => config.GetListen("disabled_features"));
    }

    [Fact]
    public void Lookups_by_name_are_case_insensitive()
    {
        var config = Defaults(ConfigSchema.Server);

        Assert.Equal(3, config.GetInt("LOG_LEVEL"));
    }

    [Fact]
    public void Value_sources_print_as_listings_show_them()
    {
        Assert.Equal("default", new ValueSource.Default().ToString());
        Assert.Equal("/etc/rookery/server.cfg:12", new ValueSource.FromFile("/etc/rookery/server.cfg", 12).ToString());
        Assert.Equal("env SERVER_MYSQL_HOST", new ValueSource.FromEnvironment("SERVER_MYSQL_HOST").ToString());
        Assert.Equal("--demo", new ValueSource.Override("--demo").ToString());
    }
}
