using System.Text;
using Rookery.Dagent.Plugins;
using Rookery.Directory.Ldap;
using Rookery.Store;
using Rookery.Store.Sql;
using Rookery.Store.Tests;
using Rookery.Testing;

namespace Rookery.Dagent.Tests;

/// <summary>Delivery with user_plugin = ldap against a throwaway slapd: movetopublicldap, and LMTP while the directory is down.</summary>
public sealed class LdapDeliveryTests : IAsyncLifetime, IDisposable
{
    const string Locale = "en_US.UTF-8";
    Slapd slapd = null!;
    TestDatabase test = null!;
    LdapUserDirectory directory = null!;
    SqlMailStore store = null!;
    UserStores users = null!;

    public async Task InitializeAsync()
    {
        slapd = await Slapd.StartAsync(TestLdif.Entries);
        test = await TestDatabase.CreateAsync();
        directory = new LdapUserDirectory(TestLdif.Settings(slapd.Uri), TimeProvider.System);
        store = new SqlMailStore(test.Database, test.CreateBlobs(), new AccountQuotaPolicy(directory, QuotaLimits.None), new ChangeNotifier());
        users = new UserStores(store, directory, Locale);
    }

    public void Dispose() => directory?.Dispose();

    public async Task DisposeAsync()
    {
        await test.DisposeAsync();
        await slapd.DisposeAsync();
    }

    DeliveryAgent Agent(params IDeliveryPlugin[] plugins) => new(store, directory, users, new DeliveryOptions { Plugins = plugins });

    MoveToPublicLdapPlugin Plugin(string attribute = "kopanoResourceType", string token = "publicFolder") => new(store, directory, attribute, token, Locale);

    static Task Lmtp(DeliveryAgent agent, string script) =>
        Transcript.RunAsync(async pipe =>
        {
            using var session = new LmtpSession(pipe, agent, "mx.test", new LmtpLimits());
            await session.RunAsync(CancellationToken.None);
        }, script);

    async Task<IReadOnlyList<ItemInfo>> InboxOf(string login)
    {
        var info = await users.EnsureStoreAsync((await directory.FindUserAsync(login))!);
        var inbox = (await store.ListFoldersAsync(info.Id)).Single(f => f.SpecialUse == SpecialUse.Inbox);
        return await store.ListItemsAsync(inbox.Id);
    }

    async Task<IReadOnlyList<ItemInfo>?> PublicFolderItems(params string[] path)
    {
        if (await store.FindStoreAsync(StoreKind.Public, "") is not { } publicStore)
            return null;
        var folders = await store.ListFoldersAsync(publicStore.Id);
        FolderInfo? current = null;
        foreach (var name in path)
        {
            current = folders.SingleOrDefault(f => f.ParentId == current?.Id && f.Name == name);
            if (current is null)
                return null;
        }
        return await store.ListItemsAsync(current!.Id);
    }

    [Fact]
    public async Task Movetopublicldap_puts_mail_for_an_entry_with_a_public_folder_there_and_other_mail_in_the_inbox()
    {
        await Lmtp(Agent(Plugin()), """
            S: 220 *
            C: LHLO mx.test
            S: 250-*
            S: 250-*
            S: 250-*
            S: 250-*
            S: 250 *
            C: MAIL FROM:<x@example.net>
            S: 250 *
            C: RCPT TO:<public@example.com>
            S: 250 *
            C: RCPT TO:<alice@example.com>
            S: 250 *
            C: DATA
            S: 354 *
            C: Subject: for the public folder
            C:
            C: hello
            C: .
            S: 250 2.1.5 <public@example.com> delivered
            S: 250 2.1.5 <alice@example.com> delivered
            C: QUIT
            S: 221 *
            """);

        var item = Assert.Single((await PublicFolderItems("Public Stores", "public"))!);
        Assert.Equal("for the public folder", item.Fields.Subject);
        Assert.StartsWith("Return-Path: <x@example.net>\r\nDelivered-To: public@example.com\r\n", Encoding.UTF8.GetString(await store.ReadAllAsync(item)));
        Assert.Empty(await InboxOf("public"));
        Assert.Equal("for the public folder", Assert.Single(await InboxOf("alice")).Fields.Subject);
    }

    [Fact]
    public async Task Movetopublicldap_with_another_token_or_attribute_leaves_the_entry_to_normal_delivery()
    {
        // the token is case-sensitive; an attribute the entry does not have names no folder
        foreach (var plugin in new[] { Plugin(token: "PublicFolder"), Plugin(attribute: "description") })
        {
            var results = await Agent(plugin).DeliverAsync("x@example.net", ["public@example.com"], new MemoryStream("Subject: inbox\r\n\r\nhi\r\n"u8.ToArray()));
            Assert.Equal(DeliveryStatus.Delivered, Assert.Single(results).Status);
        }
        Assert.Equal(2, (await InboxOf("public")).Count);
        Assert.Null(await PublicFolderItems("Public Stores"));
    }

    [Theory]
    [InlineData("publicFolder:Public Stores/public", "Public Stores/public")]
    [InlineData("publicFolder: Sales/Incoming ", "Sales/Incoming")]
    [InlineData("room|publicFolder:x", null)]
    [InlineData("PublicFolder:Public Stores/public", null)]
    [InlineData("publicFolder:", null)]
    [InlineData("publicFolder: / ", null)]
    [InlineData("publicFolder", null)]
    public void The_public_folder_is_the_path_after_the_exact_token_and_a_colon(string value, string? path) =>
        Assert.Equal(path, MoveToPublicLdapPlugin.PublicFolderPath([value], "publicFolder"));

    [Fact]
    public async Task With_the_directory_down_lmtp_defers_recipients_with_451_443_and_delivers_once_it_is_back()
    {
        var agent = Agent(Plugin());
        const string rcpt = """
            S: 220 *
            C: LHLO mx.test
            S: 250-*
            S: 250-*
            S: 250-*
            S: 250-*
            S: 250 *
            C: MAIL FROM:<x@example.net>
            S: 250 *
            C: RCPT TO:<alice@example.com>
            """;
        await slapd.StopAsync();
        await Lmtp(agent, rcpt + """

            S: 451 4.4.3 Directory unavailable, try again later
            C: QUIT
            S: 221 *
            """);

        await slapd.RestartAsync();
        await Lmtp(agent, rcpt + """

            S: 250 *
            C: DATA
            S: 354 *
            C: Subject: after the outage
            C:
            C: .
            S: 250 2.1.5 <alice@example.com> delivered
            C: QUIT
            S: 221 *
            """);
        Assert.Equal("after the outage", Assert.Single(await InboxOf("alice")).Fields.Subject);
    }
}
