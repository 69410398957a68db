using System.Diagnostics;
using System.Text.Json;

namespace Rookery.Tests;

public sealed class CliTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Config_params_shows_file_include_plain_and_prefixed_environment_sources()
    {
        cli.UseDefaultEngine();
        cli.WriteConfig("server.cfg", "# server\nattachment_compression = 3\n!include common.cfg\nquota_warn = 10\n");
        cli.WriteConfig("common.cfg", "mysql_port = 3307\nquota_warn = 5\nquota_soft = 20\n");
        cli.Environment["MYSQL_HOST"] = "db";
        cli.Environment["MYSQL_USER"] = "everyone";
        cli.Environment["SERVER_MYSQL_USER"] = "server-only";

        var (code, output, error) = await cli.RunAsync("config", "params", "server", "--json");

        Assert.True(code == 0, error);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => (Value: r.GetProperty("value").GetString(), Source: r.GetProperty("source").GetString()));
        var server = Path.Combine(cli.ConfigDirectory, "server.cfg");
        var common = Path.Combine(cli.ConfigDirectory, "common.cfg");
        Assert.Equal(("3", $"{server}:2"), rows["attachment_compression"]);
        Assert.Equal(("3307", $"{common}:1"), rows["mysql_port"]);
        Assert.Equal(("10", $"{server}:4"), rows["quota_warn"]); // later line wins over the include
        Assert.Equal(("20", $"{common}:3"), rows["quota_soft"]);
        Assert.Equal(("db", "env MYSQL_HOST"), rows["mysql_host"]);
        Assert.Equal(("server-only", "env SERVER_MYSQL_USER"), rows["mysql_user"]);
        Assert.Equal(("sqlite", "default"), rows["database_engine"]);
    }

    [Fact]
    public async Task A_typo_in_a_key_fails_startup_naming_file_and_line()
    {
        cli.UseDefaultEngine();
        cli.WriteConfig("server.cfg", "log_level = 3\nattachment_compresion = 3\n");

        var (code, _, error) = await cli.RunAsync("serve");

        Assert.NotEqual(0, code);
        Assert.Contains($"{Path.Combine(cli.ConfigDirectory, "server.cfg")}:2", error);
        Assert.Contains("attachment_compresion", error);
        Assert.False(System.IO.Directory.Exists(Path.Combine(cli.DataDirectory, "attachments")), "nothing may start on a broken configuration");
    }

    [Fact]
    public async Task A_bad_value_fails_with_what_was_expected()
    {
        cli.UseDefaultEngine();
        cli.WriteConfig("server.cfg", "database_engine = oracle\n");
        var (code, _, error) = await cli.RunAsync("admin", "user", "list");
        Assert.NotEqual(0, code);
        Assert.Contains("server.cfg:1", error);
        Assert.Contains("sqlite", error);
    }

    [Fact]
    public async Task Health_exits_1_when_the_database_cannot_be_reached()
    {
        var port = Cli.FreePort(); // nothing listens there
        cli.UseDefaultEngine();
        cli.WriteConfig("server.cfg", $"database_engine = postgresql\npostgresql_host = 127.0.0.1\npostgresql_port = {port}\n");
        var (code, output, _) = await cli.RunAsync("health");
        Assert.Equal(1, code);
        Assert.StartsWith("unhealthy", output);
    }

    [Fact]
    public async Task Admin_creates_lists_shows_and_deletes_users_and_groups()
    {
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "pw", "--email", "alice@example.com", "--fullname", "Alice A", "--admin")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "bob", "--password", "pw", "--email", "bob@example.com",
            "--quota-override", "yes", "--quota-warn", "80", "--quota-soft", "90", "--quota-hard", "100", "--enable-feature", "imap", "--add-alias", "robert@example.com")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "group", "add", "sales")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "group", "add-member", "sales", "bob")).ExitCode);

        var list = await cli.RunAsync("admin", "user", "list", "--json");
        Assert.Equal(0, list.ExitCode);
        var users = JsonDocument.Parse(list.Out).RootElement.EnumerateArray().ToList();
        Assert.Equal(["alice", "bob"], users.Select(u => u.GetProperty("login").GetString()));
        Assert.True(users[0].GetProperty("is_admin").GetBoolean());

        var show = await cli.RunAsync("admin", "user", "show", "bob", "--json");
        var bob = JsonDocument.Parse(show.Out).RootElement.GetProperty("user");
        Assert.Equal(100, bob.GetProperty("quota_hard").GetInt64());
        Assert.Equal(["imap"], bob.GetProperty("enabled_features").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["robert@example.com"], bob.GetProperty("aliases").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["sales"], bob.GetProperty("groups").EnumerateArray().Select(e => e.GetString()));

        if (Cli.Engine != "sqlite")
            Assert.False(File.Exists(Path.Combine(cli.DataDirectory, "rookery.db")), $"DATABASE_ENGINE={Cli.Engine} must not fall back to SQLite");

        var table = await cli.RunAsync("admin", "--list-users");
        Assert.Contains("Alice A", table.Out);

        Assert.Equal(0, (await cli.RunAsync("admin", "user", "delete", "alice")).ExitCode);
        var after = JsonDocument.Parse((await cli.RunAsync("admin", "user", "list", "--json")).Out).RootElement;
        Assert.Equal(["bob"], after.EnumerateArray().Select(u => u.GetProperty("login").GetString()));
    }

    [Fact]
    public async Task Admin_permissions_grant_list_and_revoke_folder_rights()
    {
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "owner", "--password", "pw", "--email", "owner@example.com")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "pw", "--email", "alice@example.com")).ExitCode);

        var granted = await cli.RunAsync("admin", "permissions", "--user", "owner", "--folder", "Inbox", "--grant", "alice", "--role", "reviewer");
        Assert.True(granted.ExitCode == 0, granted.Error);
        Assert.Equal(0, (await cli.RunAsync("admin", "permissions", "--user", "owner", "--folder", "inbox", "--grant", "anyone", "--role", "read folder-visible create")).ExitCode);
        var list = await cli.RunAsync("admin", "permissions", "--user", "owner", "--json");
        var rows = JsonDocument.Parse(list.Out).RootElement.EnumerateArray()
            .Select(r => (r.GetProperty("folder").GetString(), r.GetProperty("grantee").GetString(), r.GetProperty("rights").GetString(), r.GetProperty("imap").GetString())).ToList();
        Assert.Equal([("Inbox", "alice", "reviewer", "lr"), ("Inbox", "anyone", "read create folder-visible", "lrip")], rows);

        Assert.Equal(0, (await cli.RunAsync("admin", "permissions", "--user", "owner", "--folder", "Inbox", "--revoke", "alice")).ExitCode);
        rows = JsonDocument.Parse((await cli.RunAsync("admin", "permissions", "--user", "owner", "--folder", "Inbox", "--json")).Out).RootElement.EnumerateArray()
            .Select(r => (r.GetProperty("folder").GetString(), r.GetProperty("grantee").GetString(), r.GetProperty("rights").GetString(), r.GetProperty("imap").GetString())).ToList();
        Assert.Equal([("Inbox", "anyone", "read create folder-visible", "lrip")], rows);

        var unknownRole = await cli.RunAsync("admin", "permissions", "--user", "owner", "--folder", "Inbox", "--grant", "alice", "--role", "janitor");
        Assert.Equal(1, unknownRole.ExitCode);
        Assert.Contains("unknown role", unknownRole.Error, StringComparison.Ordinal);
        var ownerRights = await cli.RunAsync("admin", "permissions", "--user", "owner", "--folder", "Inbox", "--grant", "owner", "--role", "none");
        Assert.Equal(1, ownerRights.ExitCode);
        var noFolder = await cli.RunAsync("admin", "permissions", "--user", "owner", "--folder", "Nowhere", "--grant", "alice", "--role", "author");
        Assert.Contains("does not exist", noFolder.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_user_or_group_takes_their_grants_with_them()
    {
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "owner", "--password", "pw", "--email", "owner@example.com")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "pw", "--email", "alice@example.com")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "group", "add", "Sales")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "permissions", "--user", "owner", "--folder", "Inbox", "--grant", "alice", "--role", "editor")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "permissions", "--user", "owner", "--folder", "Inbox", "--grant", "group:sales", "--role", "reviewer")).ExitCode);
        async Task<List<string?>> GranteesAsync() =>
            JsonDocument.Parse((await cli.RunAsync("admin", "permissions", "--user", "owner", "--json")).Out).RootElement.EnumerateArray()
                .Select(r => r.GetProperty("grantee").GetString()).ToList();
        Assert.Equal(["alice", "group:Sales"], await GranteesAsync());

        Assert.Equal(0, (await cli.RunAsync("admin", "user", "delete", "alice")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "group", "delete", "Sales")).ExitCode);
        Assert.Empty(await GranteesAsync());

        // a new alice and a new sales are somebody else: they find nothing granted
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "pw", "--email", "alice@example.com")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "group", "add", "sales")).ExitCode);
        Assert.Empty(await GranteesAsync());
    }

    [Fact]
    public async Task Wrong_admin_arguments_print_usage_and_exit_non_zero()
    {
        var missing = await cli.RunAsync("admin", "user", "add", "carol");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("--password", missing.Error + missing.Out);

        var duplicate = await cli.RunAsync("admin", "user", "add", "carol", "--password", "x", "--email", "carol@example.com");
        Assert.Equal(0, duplicate.ExitCode);
        duplicate = await cli.RunAsync("admin", "user", "add", "Carol", "--password", "x", "--email", "c2@example.com");
        Assert.NotEqual(0, duplicate.ExitCode);
        Assert.Contains("already exists", duplicate.Error);

        var feature = await cli.RunAsync("admin", "user", "update", "carol", "--enable-feature", "telepathy");
        Assert.NotEqual(0, feature.ExitCode);
        Assert.Contains("unknown feature", feature.Error);
    }

    [Fact]
    public async Task Health_is_healthy_on_a_fresh_data_directory()
    {
        var (code, output, error) = await cli.RunAsync("health");
        Assert.True(code == 0, output + error);
        Assert.StartsWith("healthy", output);
    }

    [Fact]
    public async Task Serve_demo_creates_the_data_directory_the_demo_user_and_answers_health()
    {
        // --demo listens on the contract's fixed ports (10080 for HTTP) and always uses SQLite; so does the check afterwards.
        // Its addresses give way to the environment's, so this runs beside a demo someone left running on the machine.
        cli.UseDefaultEngine();
        var port = Cli.FreePort();
        cli.Environment["SERVER_LISTEN"] = $"127.0.0.1:{port}";
        foreach (var listen in new[] { "LMTP_LISTEN", "IMAP_LISTEN", "IMAPS_LISTEN", "POP3_LISTEN", "POP3S_LISTEN" })
            cli.Environment[listen] = $"127.0.0.1:{Cli.FreePort()}";
        using var process = Process.Start(cli.StartInfo("serve", "--demo"))!;
        try
        {
            var text = string.Join('\n', await Cli.WaitForBannerAsync(process));
            Assert.Contains(cli.DataDirectory, text);
            Assert.Contains("demo / demo", text);
            Assert.Contains($"http://127.0.0.1:{port}/health", text);
            Assert.True(File.Exists(Path.Combine(cli.DataDirectory, "rookery.db")));

            using var http = new HttpClient();
            var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("\"healthy\"", await response.Content.ReadAsStringAsync());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var show = await cli.RunAsync("admin", "user", "show", "demo", "--json");
        Assert.Equal(0, show.ExitCode);
        var demo = JsonDocument.Parse(show.Out).RootElement.GetProperty("user");
        Assert.Equal("demo@example.com", demo.GetProperty("email").GetString());
        Assert.Equal(5, demo.GetProperty("enabled_features").GetArrayLength());
    }

    [Fact]
    public void The_demo_listens_on_its_fixed_ports_unless_the_environment_names_others()
    {
        var none = new Dictionary<string, string>();
        var server = Commands.ServeCommand.DemoOverridesFor(Common.Configuration.ConfigSchema.Server, Commands.ServeCommand.DemoOverrides, none);
        Assert.Equal("127.0.0.1:10080", server["server_listen"]);
        Assert.Equal("sqlite", server["database_engine"]);
        var gateway = Commands.ServeCommand.DemoOverridesFor(Common.Configuration.ConfigSchema.Gateway, Commands.ServeCommand.DemoGatewayOverrides,
            new Dictionary<string, string> { ["GATEWAY_IMAP_LISTEN"] = "127.0.0.1:1", ["POP3_LISTEN"] = "127.0.0.1:2", ["DATABASE_ENGINE"] = "mysql" });
        Assert.False(gateway.ContainsKey("imap_listen"));
        Assert.False(gateway.ContainsKey("pop3_listen"));
        Assert.Equal("127.0.0.1:10993", gateway["imaps_listen"]);
        // what is not an address holds: the demo is SQLite whatever the environment says
        var forced = Commands.ServeCommand.DemoOverridesFor(Common.Configuration.ConfigSchema.Server, Commands.ServeCommand.DemoOverrides,
            new Dictionary<string, string> { ["DATABASE_ENGINE"] = "mysql" });
        Assert.Equal("sqlite", forced["database_engine"]);
    }

    [Fact]
    public async Task Processes_starting_at_the_same_moment_on_a_fresh_data_directory_share_one_schema()
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            cli.RunAsync("admin", "company", "add", $"company{i}")));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Error));

        var (code, output, error) = await cli.RunAsync("admin", "company", "list", "--json");
        Assert.True(code == 0, error);
        var names = JsonDocument.Parse(output).RootElement.EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Equal(["company0", "company1", "company2"], names);
        Assert.Equal(0, (await cli.RunAsync("health")).ExitCode);
    }
}
