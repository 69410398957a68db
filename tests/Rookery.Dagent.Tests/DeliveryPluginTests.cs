using System.Text;
using Rookery.Dagent.Plugins;
using Rookery.Store;
using Rookery.Store.Tests;

namespace Rookery.Dagent.Tests;

public sealed class DeliveryPluginTests : IAsyncLifetime, IDisposable
{
    DeliveryHarness harness = null!;
    readonly string directory = System.IO.Directory.CreateTempSubdirectory("rookery-plugin-").FullName;

    public async Task InitializeAsync() => harness = await DeliveryHarness.CreateAsync();

    public async Task DisposeAsync() => await harness.DisposeAsync();

    public void Dispose() => System.IO.Directory.Delete(directory, recursive: true);

    static MemoryStream Message(string subject) => new(Encoding.UTF8.GetBytes($"Subject: {subject}\r\nFrom: x@example.net\r\n\r\nbody\r\n"));

    string RulesFile(string text)
    {
        var path = Path.Combine(directory, "movetopublic.cfg");
        File.WriteAllText(path, text);
        return path;
    }

    DeliveryAgent AgentWithMoveToPublic(string rules) => harness.CreateAgent(new DeliveryOptions
    {
        Plugins = [new MoveToPublicPlugin(harness.Store, MoveToPublicPlugin.ReadRules(RulesFile(rules)), "en_US.UTF-8")],
    });

    async Task<(FolderInfo Folder, IReadOnlyList<ItemInfo> Items)?> PublicFolder(params string[] path)
    {
        if (await harness.Store.FindStoreAsync(StoreKind.Public, "") is not { } publicStore)
            return null;
        var folders = await harness.Store.ListFoldersAsync(publicStore.Id);
        FolderInfo? current = null;
        foreach (var name in path)
        {
            current = folders.SingleOrDefault(f => f.ParentId == current?.Id && f.Name == name);
            if (current is null)
                return null;
        }
        return (current!, await harness.Store.ListItemsAsync(current!.Id));
    }

    [Fact]
    public async Task Movetopublic_delivers_listed_recipients_into_a_public_folder_it_creates()
    {
        var agent = AgentWithMoveToPublic("""
            # mail for the shared mailbox goes to the public store
            [rule1]
            recipient = Shared@Example.com
            destination_folder = Public Stores/public

            [rule2]
            recipient = a.liddell@example.com
            destination_folder = /Alice//Fan mail/
            """);

        var results = await agent.DeliverAsync("x@example.net", ["shared@example.com", "bob@example.com", "a.liddell@example.com"], Message("one"));
        Assert.All(results, r => Assert.Equal(DeliveryStatus.Delivered, r.Status));
        await agent.DeliverAsync("x@example.net", ["SHARED@example.com"], Message("two"));

        var (folder, items) = (await PublicFolder("Public Stores", "public"))!.Value;
        Assert.Equal(["one", "two"], items.OrderBy(i => i.Uid).Select(i => i.Fields.Subject));
        Assert.Equal(folder.Id, results[0].FolderId);
        Assert.Equal(SpecialUse.None, results[0].Folder);
        Assert.Single((await PublicFolder("Alice", "Fan mail"))!.Value.Items);
        // the recipient's own Inbox gets nothing; other recipients are delivered as usual
        Assert.Empty(await harness.ItemsOf("shared"));
        Assert.Empty(await harness.ItemsOf("alice"));
        Assert.Single(await harness.ItemsOf("bob"));
        // the copy still says whom it was for
        Assert.StartsWith("Return-Path: <x@example.net>\r\nDelivered-To: shared@example.com\r\n", Encoding.UTF8.GetString(await harness.Store.ReadAllAsync(items[0])));
    }

    [Fact]
    public async Task Movetopublic_uses_the_existing_folder_whatever_its_case()
    {
        var publicStore = await harness.Store.EnsureStoreAsync(StoreKind.Public, "", "en");
        var existing = await harness.Store.CreateFolderAsync(publicStore.Id, null, "Sales", ContainerClass.Mail);
        var agent = AgentWithMoveToPublic("[rule1]\nrecipient = bob@example.com\ndestination_folder = sales\n");

        var results = await agent.DeliverAsync("", ["bob@example.com"], Message("order"));
        Assert.Equal(existing.Id, results[0].FolderId);
        Assert.Single(await harness.Store.ListFoldersAsync(publicStore.Id));
    }

    [Fact]
    public async Task Movetopublic_delivers_for_the_administrator_whatever_the_folder_grants_users()
    {
        // the destination is the administrator's choice, as the original's plugin writes with the
        // dagent's SYSTEM session: grants say what users may do there, not where mail may go
        var publicStore = await harness.Store.EnsureStoreAsync(StoreKind.Public, "", "en");
        var sales = await harness.Store.CreateFolderAsync(publicStore.Id, null, "Sales", ContainerClass.Mail);
        var grants = new Store.Sql.SqlFolderGrants(harness.Test.Database);
        await grants.SetAsync(sales.Id, Grantee.Anyone, FolderRoles.Reviewer);
        await grants.SetAsync(sales.Id, Grantee.User((await harness.Repository.FindUserAsync("db", "bob"))!), FolderRights.None);
        var agent = AgentWithMoveToPublic("[rule1]\nrecipient = bob@example.com\ndestination_folder = Sales\n");

        var results = await agent.DeliverAsync("x@example.net", ["bob@example.com"], Message("order"));
        Assert.Equal((DeliveryStatus.Delivered, sales.Id), (results[0].Status, results[0].FolderId));
        Assert.Single(await harness.Store.ListItemsAsync(sales.Id));
    }

    [Fact]
    public async Task Concurrent_deliveries_create_the_public_folder_once()
    {
        var agent = AgentWithMoveToPublic("[rule1]\nrecipient = bob@example.com\ndestination_folder = Busy/Inbox\n");
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => agent.DeliverAsync("", ["bob@example.com"], Message($"m{i}"))));
        Assert.All(results, r => Assert.Equal(DeliveryStatus.Delivered, r[0].Status));
        Assert.Equal(6, (await PublicFolder("Busy", "Inbox"))!.Value.Items.Count);
        var publicStore = (await harness.Store.FindStoreAsync(StoreKind.Public, ""))!;
        Assert.Equal(2, (await harness.Store.ListFoldersAsync(publicStore.Id)).Count);
    }

    [Theory]
    [InlineData("recipient = a@example.com\n", "outside a [rule] section")]
    [InlineData("[rule1]\nrecipient = a@example.com\n", "needs both recipient and destination_folder")]
    [InlineData("[rule1]\nrecipient = a@example.com\ndestination_folder = //\n", "names no folder")]
    [InlineData("[rule1]\nrecipient = a@example.com\ndestination = x\n", "unknown setting 'destination'")]
    [InlineData("[rule1\n", "unterminated section header")]
    [InlineData("[rule1]\nrecipient = a@example.com\ndestination_folder = x\n[rule2]\nrecipient = A@example.com\ndestination_folder = y\n", "repeats recipient")]
    public void Broken_rules_files_are_refused_with_the_line(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => MoveToPublicPlugin.ReadRules(RulesFile(text)));
        Assert.Contains(message, error.Message);
        Assert.Contains("movetopublic.cfg:", error.Message);
    }

    sealed class FailingPlugin : IDeliveryPlugin
    {
        public string Name => "failing";
        public ValueTask<FolderInfo?> ChooseFolderAsync(DeliveryContext context, CancellationToken cancellationToken) =>
            context.Address.StartsWith("bob", StringComparison.Ordinal) ? throw new IOException("public store unreachable") : ValueTask.FromResult<FolderInfo?>(null);
    }

    [Fact]
    public async Task A_failing_plugin_defers_that_recipient_and_never_misdelivers()
    {
        var agent = harness.CreateAgent(new DeliveryOptions { Plugins = [new FailingPlugin()] });
        var results = await agent.DeliverAsync("", ["bob@example.com", "alice@example.com"], Message("x"));
        Assert.Equal([DeliveryStatus.TemporaryFailure, DeliveryStatus.Delivered], results.Select(r => r.Status));
        Assert.Empty(await harness.ItemsOf("bob"));
        Assert.Single(await harness.ItemsOf("alice"));
    }

    [Fact]
    public async Task Group_addresses_reach_members_only_when_expansion_is_on()
    {
        await harness.Repository.CreateGroupAsync("team", "team@example.com", "");
        await harness.Repository.AddGroupMemberAsync("team", "db", "alice");
        await harness.Repository.AddGroupMemberAsync("team", "db", "bob");
        await harness.Repository.AddGroupMemberAsync("team", "db", "full");

        var off = await harness.Agent.DeliverAsync("", ["team@example.com"], Message("nobody"));
        Assert.Equal(DeliveryStatus.UnknownRecipient, off[0].Status);
        Assert.False((await harness.Agent.ResolveAsync("TEAM@example.com")).Known);

        var agent = harness.CreateAgent(new DeliveryOptions { ExpandGroups = true });
        Assert.Equal(3, (await agent.ResolveAsync("TEAM@example.com")).Members!.Count);
        var results = await agent.DeliverAsync("", ["Team@Example.com"], Message("all hands"));
        Assert.Equal(DeliveryStatus.Delivered, Assert.Single(results).Status);
        foreach (var login in new[] { "alice", "bob", "full" })
        {
            var item = Assert.Single(await harness.ItemsOf(login));
            Assert.Contains($"Delivered-To: {login}@example.com\r\n", Encoding.UTF8.GetString(await harness.Store.ReadAllAsync(item)));
        }
    }
}
