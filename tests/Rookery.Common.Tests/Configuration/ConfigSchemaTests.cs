using System.Text.RegularExpressions;
using Rookery.Common.Configuration;

namespace Rookery.Common.Tests.Configuration;

public sealed class ConfigSchemaTests
{
    public static TheoryData<string> Components() => [.. ConfigSchema.All.Select(schema => schema.Name)];

    [Theory]
    [MemberData(nameof(Components))]
    public void Every_default_is_valid_and_already_canonical(string component)
    {
        var schema = ConfigSchema.Find(component)!;

        var config = ConfigLoader.Load(schema, Path.Combine(Path.GetTempPath(), "rookery-no-such-config-dir"), new Dictionary<string, string>());

        Assert.All(config.All, value => Assert.Equal(value.Definition.Default, value.Value));
    }

    [Theory]
    [MemberData(nameof(Components))]
    public void Parameters_have_unique_snake_case_names_descriptions_and_fitting_allowed_words(string component)
    {
        var schema = ConfigSchema.Find(component)!;

        Assert.All(schema.Parameters, parameter =>
        {
            Assert.Matches(new Regex("^[a-z][a-z0-9_]*$"), parameter.Name);
            Assert.EndsWith(".", parameter.Description, StringComparison.Ordinal);
            if (parameter.Kind == ParameterKind.Enum)
                Assert.NotEmpty(parameter.Allowed);
            else if (parameter.Kind != ParameterKind.List)
                Assert.Empty(parameter.Allowed);
        });
        Assert.Equal(schema.Parameters.Count, schema.Parameters.Select(p => p.Name).Distinct().Count());
    }

    [Fact]
    public void Components_are_found_by_name_case_insensitively()
    {
        Assert.Same(ConfigSchema.Server, ConfigSchema.Find("server"));
        Assert.Same(ConfigSchema.Unix, ConfigSchema.Find("UNIX"));
        Assert.Same(ConfigSchema.Dagent, ConfigSchema.Find("Dagent"));
        Assert.Null(ConfigSchema.Find("nosuchcomponent"));
        Assert.Equal("server.cfg", ConfigSchema.Server.FileName);
        Assert.Equal("unix.cfg", ConfigSchema.Unix.FileName);
        Assert.Equal(ConfigSchema.All.Count, ConfigSchema.All.Select(s => s.Name).Distinct().Count());
    }

    [Fact]
    public void Passwords_are_marked_secret()
    {
        Assert.True(ConfigSchema.Server.Find("mysql_password")!.IsSecret);
        Assert.True(ConfigSchema.Server.Find("postgresql_password")!.IsSecret);
        Assert.False(ConfigSchema.Server.Find("mysql_user")!.IsSecret);
    }
}
