using Rookery.Common.Configuration;

namespace Rookery.Common.Tests.Configuration;

public sealed class ParameterValueTests : IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    // The shipped schemas have no yes/no parameter yet; the loader takes any schema.
    private static readonly ComponentSchema Switches = new("switches",
    [
        new("enable_thing", ParameterKind.Bool, "no", "A switch."),
        new("names", ParameterKind.List, "", "Free words."),
    ]);

    private readonly TempConfigDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private ComponentConfig LoadServer(string fileContent)
    {
        dir.Write("server.cfg", fileContent);
        return ConfigLoader.Load(ConfigSchema.Server, dir.Path, NoEnvironment);
    }

    private string ServerError(string fileContent) =>
        Assert.Throws<ConfigException>(() => LoadServer(fileContent)).Message;

    private string ServerFile => Path.Combine(dir.Path, "server.cfg");

    [Theory]
    [InlineData("0", 0)]
    [InlineData("9", 9)]
    [InlineData("+7", 7)]
    [InlineData("007", 7)]
    public void Integer_within_range_is_accepted_and_stored_canonically(string text, int expected)
    {
        var config = LoadServer($"attachment_compression = {text}\n");

        Assert.Equal(expected, config.GetInt("attachment_compression"));
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), config.GetString("attachment_compression"));
    }

    [Theory]
    [InlineData("ten")]
    [InlineData("10")]
    [InlineData("-1")]
    [InlineData("6.5")]
    [InlineData("")]
    [InlineData("99999999999")]
    public void Integer_that_is_malformed_or_out_of_range_fails_with_the_range(string text)
    {
        var message = ServerError($"# compression\n\n\n\n\nlog_level = 3\nattachment_compression = {text}\n");

        Assert.Equal($"{ServerFile}:7: attachment_compression must be an integer from 0 to 9, got '{text}'", message);
    }

    [Fact]
    public void Integer_with_only_a_minimum_names_the_minimum()
    {
        var message = ServerError("password_hash_iterations = 1000\n");

        Assert.Equal($"{ServerFile}:1: password_hash_iterations must be an integer of at least 10000, got '1000'", message);
    }

    [Fact]
    public void Enum_value_is_case_insensitive_and_stored_lower_case()
    {
        var config = LoadServer("database_engine = MySQL\n");

        Assert.Equal("mysql", config.GetString("database_engine"));
    }

    [Fact]
    public void Enum_value_outside_the_allowed_words_fails_listing_them()
    {
        var message = ServerError("database_engine = oracle\n");

        Assert.Equal($"{ServerFile}:1: database_engine must be one of sqlite, mysql, postgresql, got 'oracle'", message);
    }

    [Theory]
    [InlineData("yes", true)]
    [InlineData("YES", true)]
    [InlineData("true", true)]
    [InlineData("on", true)]
    [InlineData("1", true)]
    [InlineData("no", false)]
    [InlineData("False", false)]
    [InlineData("off", false)]
    [InlineData("0", false)]
    public void Bool_accepts_yes_no_true_false_on_off_and_1_0(string text, bool expected)
    {
        dir.Write("switches.cfg", $"enable_thing = {text}\n");

        var config = ConfigLoader.Load(Switches, dir.Path, NoEnvironment);

        Assert.Equal(expected, config.GetBool("enable_thing"));
        Assert.Equal(expected ? "yes" : "no", config.GetString("enable_thing"));
    }

    [Fact]
    public void Bool_rejects_other_words()
    {
        var file = dir.Write("switches.cfg", "enable_thing = maybe\n");

        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Switches, dir.Path, NoEnvironment));

        Assert.Equal($"{file}:1: enable_thing must be yes or no (or true/false, on/off, 1/0), got 'maybe'", error.Message);
    }

    [Theory]
    [InlineData("imap pop3", new[] { "imap", "pop3" })]
    [InlineData("imap,pop3", new[] { "imap", "pop3" })]
    [InlineData(" IMAP ,  pop3,mobile\twebapp ", new[] { "imap", "pop3", "mobile", "webapp" })]
    [InlineData("outlook", new[] { "outlook" })]
    [InlineData("", new string[0])]
    [InlineData(" , ", new string[0])]
    public void List_is_split_on_spaces_and_commas(string text, string[] expected)
    {
        var config = LoadServer($"disabled_features = {text}\n");

        Assert.Equal(expected, config.GetList("disabled_features"));
        Assert.Equal(string.Join(' ', expected), config.GetString("disabled_features"));
    }

    [Fact]
    public void List_with_allowed_words_rejects_an_unknown_feature()
    {
        var message = ServerError("disabled_features = imap smtp\n");

        Assert.Equal($"{ServerFile}:1: disabled_features may only contain imap, pop3, mobile, outlook, webapp, got 'smtp'", message);
    }

    [Fact]
    public void List_without_allowed_words_takes_any_words_as_written()
    {
        dir.Write("switches.cfg", "names = Alpha,beta  Gamma\n");

        var config = ConfigLoader.Load(Switches, dir.Path, NoEnvironment);

        Assert.Equal(["Alpha", "beta", "Gamma"], config.GetList("names"));
    }

    [Theory]
    [InlineData("127.0.0.1:236")]
    [InlineData("*:236")]
    [InlineData("0.0.0.0:0")]
    [InlineData("localhost:8080")]
    [InlineData("mail.example.org:65535")]
    [InlineData("[::1]:236")]
    [InlineData("[::]:236")]
    [InlineData("[fe80::1%eth0]:236")]
    [InlineData("unix:/run/rookery/http.sock")]
    public void Listen_accepts_each_form_of_address(string spec)
    {
        var config = LoadServer($"server_listen = {spec}\n");

        Assert.Equal([spec], config.GetList("server_listen"));
        Assert.Equal(spec, Assert.Single(config.GetListen("server_listen")).ToString());
    }

    [Fact]
    public void Listen_takes_a_space_separated_list_and_parses_each_address()
    {
        var config = LoadServer("server_listen =  *:236 \t[::1]:8236   unix:/run/rookery.sock\n");

        Assert.Equal(["*:236", "[::1]:8236", "unix:/run/rookery.sock"], config.GetList("server_listen"));
        var addresses = config.GetListen("server_listen");
        Assert.Equal(("*", 236, false), (addresses[0].Host, addresses[0].Port, addresses[0].IsUnix));
        Assert.Equal(("::1", 8236, false), (addresses[1].Host, addresses[1].Port, addresses[1].IsUnix));
        Assert.Equal("/run/rookery.sock", addresses[2].UnixPath);
        Assert.True(addresses[2].IsUnix);
    }

    [Fact]
    public void Listen_may_be_empty()
    {
        var config = LoadServer("server_listen =\n");

        Assert.Empty(config.GetList("server_listen"));
        Assert.Empty(config.GetListen("server_listen"));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("236")]
    [InlineData(":236")]
    [InlineData("*:")]
    [InlineData("host:http")]
    [InlineData("host:-1")]
    [InlineData("host:65536")]
    [InlineData("::1:236")]
    [InlineData("[::1]236")]
    [InlineData("[127.0.0.1]:236")]
    [InlineData("[nonsense]:236")]
    [InlineData("256.1.1.1:80")]
    [InlineData("bad_host:80")]
    [InlineData("-host:80")]
    [InlineData("a:1,b:2")]
    [InlineData("unix:")]
    [InlineData("unix:run/rookery.sock")]
    public void Listen_rejects_malformed_address_naming_it(string spec)
    {
        var message = ServerError($"server_listen = *:236 {spec}\n");

        Assert.Equal(
            $"{ServerFile}:1: server_listen must be a space-separated list of host:port, *:port, [v6]:port or unix:/path, got '{spec}'",
            message);
    }
}
