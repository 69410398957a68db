using System.Text;
using System.Text.Json;

namespace Rookery.Tests;

public sealed class PipeDeliveryTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Pipe_delivery_stores_the_message_and_exits_with_sysexits_codes()
    {
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "pw", "--email", "alice@example.com")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "tiny", "--password", "pw", "--email", "tiny@example.com",
            "--quota-override", "yes", "--quota-hard", "1")).ExitCode);
        var message = Encoding.ASCII.GetBytes("Subject: piped\nFrom: a@example.net\n\nbody with LF line ends\n");

        var delivered = await cli.RunWithInputAsync(message, "dagent", "-f", "a@example.net", "alice");
        Assert.True(delivered.ExitCode == 0, delivered.Error);
        var size = JsonDocument.Parse((await cli.RunAsync("admin", "user", "show", "alice", "--json")).Out).RootElement.GetProperty("store_size").GetInt64();
        // trace headers (the login given becomes the account's address) plus the message with every LF turned into CRLF
        Assert.Equal("Return-Path: <a@example.net>\r\nDelivered-To: alice@example.com\r\n".Length + message.Length + 4, size);

        Assert.Equal(67, (await cli.RunWithInputAsync(message, "dagent", "nobody")).ExitCode);
        Assert.Equal(67, (await cli.RunWithInputAsync(message, "dagent", "nobody@example.com")).ExitCode);

        var big = Encoding.ASCII.GetBytes("Subject: big\n\n" + new string('x', 1_100_000) + "\n");
        Assert.Equal(73, (await cli.RunWithInputAsync(big, "dagent", "tiny")).ExitCode);
    }

    [Fact]
    public async Task The_container_s_DAGENT_PLUGINS_enables_movetopublic()
    {
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "public", "--password", "pw", "--email", "public@example.com", "--active", "no")).ExitCode);
        cli.WriteConfig("movetopublic.cfg", "[rule1]\nrecipient = public@example.com\ndestination_folder = Public Stores/public\n");
        cli.Environment["DAGENT_PLUGINS"] = "movetopublic";
        var delivered = await cli.RunWithInputAsync(Encoding.ASCII.GetBytes("Subject: for everyone\n\nhello\n"), "dagent", "public@example.com");
        Assert.True(delivered.ExitCode == 0, delivered.Error);

        var store = new Store.Sql.SqlMailStore(new Store.Sql.Database(cli.Database), null!, new Store.FixedQuotaPolicy(Store.QuotaLimits.None), new Store.ChangeNotifier());
        var publicStore = (await store.FindStoreAsync(Store.StoreKind.Public, ""))!;
        var folders = await store.ListFoldersAsync(publicStore.Id);
        var top = folders.Single(f => f.ParentId is null);
        Assert.Equal("Public Stores", top.Name);
        var folder = folders.Single(f => f.ParentId == top.Id);
        Assert.Equal(("public", 1L), (folder.Name, folder.MessageCount));

        // a broken rules file is a configuration error (EX_CONFIG), not a reason to retry forever
        cli.WriteConfig("movetopublic.cfg", "[rule1]\nrecipient = public@example.com\n");
        var broken = await cli.RunWithInputAsync(Encoding.ASCII.GetBytes("Subject: x\n\nx\n"), "dagent", "public@example.com");
        Assert.Equal(78, broken.ExitCode);
        Assert.Contains("needs both recipient and destination_folder", broken.Error);
    }

    [Fact]
    public async Task Movetopublicldap_without_the_ldap_user_plugin_is_a_configuration_error()
    {
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "public", "--password", "pw", "--email", "public@example.com")).ExitCode);
        cli.Environment["DAGENT_PLUGINS"] = "movetopublicldap";
        var result = await cli.RunWithInputAsync(Encoding.ASCII.GetBytes("Subject: x\n\nx\n"), "dagent", "public@example.com");
        Assert.Equal(78, result.ExitCode);
        Assert.Contains("plugins = movetopublicldap needs user_plugin = ldap (it is db)", result.Error);
    }

    [Fact]
    public async Task Pipe_delivery_with_an_unreachable_database_asks_the_mta_to_retry()
    {
        cli.UseDefaultEngine();
        cli.WriteConfig("server.cfg", $"database_engine = postgresql\npostgresql_host = 127.0.0.1\npostgresql_port = {Cli.FreePort()}\n");
        var result = await cli.RunWithInputAsync(Encoding.ASCII.GetBytes("Subject: x\n\nbody\n"), "dagent", "alice");
        Assert.Equal(75, result.ExitCode);
    }
}
