using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Rookery.Store;
using Rookery.Store.Sql;
using Rookery.Store.Tests;

namespace Rookery.Tests;

/// <summary>
/// A real Postfix asks <c>rookery serve</c> over the socketmap which recipients exist
/// (virtual_mailbox_maps), what an alias stands for and who is in a group (virtual_alias_maps),
/// instead of accepting every address as PostfixDeliveryTests' Postfix does.
/// </summary>
public sealed class PostfixSocketmapTests : IAsyncLifetime, IAsyncDisposable
{
    const string Sender = "sender@example.net";
    readonly Cli cli = new();
    Postfix? postfix;
    Slapd? slapd;

    // xUnit 2 calls IAsyncLifetime, not IAsyncDisposable, on a test class: without it slapd outlived the test.
    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        postfix?.Dispose();
        if (slapd is not null)
            await slapd.DisposeAsync();
        slapd = null;
        cli.Dispose();
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    /// <summary>
    /// With db: accounts and a group made with rookery admin. With ldap: TestLdif's alice (alias
    /// a.liddell@), bob, group staff and the public-folder entry (movetopublicldap on), and slapd
    /// stopped for a while: Postfix then defers at RCPT instead of refusing. The db run mixes a unix
    /// and a TCP socketmap; the ldap run uses deploy/postfix/main.cf.socketmap as shipped, paths
    /// changed, LMTP over the unix socket.
    /// </summary>
    [PostfixTheory]
    [InlineData("db")]
    [InlineData("ldap")]
    public async Task Postfix_rejects_unknown_recipients_at_rcpt_and_delivers_aliases_and_groups_by_the_socketmap(string userPlugin)
    {
        var lmtpPort = Cli.FreePort();
        var socketmapPort = Cli.FreePort();
        var socketDirectory = Path.Combine(cli.Root, "run");
        var socket = Path.Combine(socketDirectory, "postfix.sock");
        var dagentSocket = Path.Combine(socketDirectory, "dagent.sock");
        Postfix.LetPostfixThrough(cli.Root);
        Postfix.LetPostfixThrough(socketDirectory);
        // Both kinds of socketmap listener: Postfix's daemons (user postfix) reach the unix one by its group.
        var dagent = $"""
            lmtp_listen = 127.0.0.1:{lmtpPort} unix:{dagentSocket}
            lmtp_socket_group = postfix
            postfix_socketmap_listen = 127.0.0.1:{socketmapPort} unix:{socket}
            postfix_socketmap_socket_group = postfix

            """;
        Dictionary<string, string> owners;
        if (userPlugin == "ldap")
        {
            slapd = await Slapd.StartAsync(TestLdif.Entries);
            cli.WriteConfig("ldap.cfg", $"""
                ldap_uri = {slapd.Uri}
                ldap_search_base = {Slapd.Suffix}
                ldap_bind_user = {Slapd.ReaderDn}
                ldap_bind_passwd = {Slapd.ReaderPassword}
                ldap_network_timeout = 5
                ldap_cache_timeout = 0
                """);
            cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\nuser_plugin = ldap\nuser_plugin_config = {Path.Combine(cli.ConfigDirectory, "ldap.cfg")}\n");
            cli.WriteConfig("dagent.cfg", dagent + "plugins = movetopublicldap\n");
            owners = new() { ["alice"] = "ldap:1001", ["bob"] = "ldap:1002", ["hidden"] = "ldap:1003" };
        }
        else
        {
            cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\n");
            cli.WriteConfig("dagent.cfg", dagent);
            foreach (var login in new[] { "alice", "bob", "hidden" })
                Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", login, "--password", "pw", "--email", $"{login}@example.com")).ExitCode);
            Assert.Equal(0, (await cli.RunAsync("admin", "user", "update", "alice", "--add-alias", "a.liddell@example.com")).ExitCode);
            Assert.Equal(0, (await cli.RunAsync("admin", "group", "add", "staff", "--email", "staff@example.com")).ExitCode);
            foreach (var member in new[] { "alice", "bob" })
                Assert.Equal(0, (await cli.RunAsync("admin", "group", "add-member", "staff", member)).ExitCode);
            var repository = new SqlDirectoryRepository(new Database(cli.Database));
            owners = [];
            foreach (var login in new[] { "alice", "bob", "hidden" })
                owners[login] = (await repository.FindUserAsync("db", login))!.StoreOwner;
        }

        var mainCf = userPlugin == "ldap"
            ? (await File.ReadAllTextAsync(Path.Combine(Slapd.RepositoryRoot, "deploy", "postfix", "main.cf.socketmap")))
                .Replace("/run/rookery/postfix.sock", socket, StringComparison.Ordinal).Replace("/var/spool/rookery/dagent.sock", dagentSocket, StringComparison.Ordinal)
            : $"""
                virtual_mailbox_maps = socketmap:unix:{socket}:mailbox
                virtual_alias_maps = socketmap:inet:127.0.0.1:{socketmapPort}:alias, socketmap:inet:127.0.0.1:{socketmapPort}:group
                """;
        var relay = userPlugin == "ldap" ? $"mx.postfix.test[{dagentSocket}]" : $"127.0.0.1[127.0.0.1]:{lmtpPort}";
        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(server);
            _ = server.StandardOutput.ReadToEndAsync();
            _ = server.StandardError.ReadToEndAsync();
            postfix = await Postfix.StartAsync(Path.Combine(cli.Root, "postfix"), $"lmtp:inet:127.0.0.1:{lmtpPort}", mainCf);

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var replies = await postfix.RecipientRepliesAsync(Sender, ["nobody@example.com", "hidden@example.com", "a.liddell@example.com", "staff@example.com"], timeout.Token);
            Assert.StartsWith("550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table", replies[0]);
            Assert.All(replies.Skip(1), reply => Assert.StartsWith("250 ", reply));

            var aliasId = await postfix.SubmitAsync(Sender, ["a.liddell@example.com"], Message("<alias@test>", "a.liddell@example.com"), timeout.Token);
            var groupId = await postfix.SubmitAsync(Sender, ["staff@example.com"], Message("<group@test>", "staff@example.com"), timeout.Token);
            await postfix.WaitForLogAsync($@"{aliasId}: to=<alice@example\.com>, orig_to=<a\.liddell@example\.com>, relay={Regex.Escape(relay)}, .*status=sent \(250 2\.1\.5 ");
            foreach (var member in new[] { "alice", "bob" })
                await postfix.WaitForLogAsync($@"{groupId}: to=<{member}@example\.com>, orig_to=<staff@example\.com>, relay={Regex.Escape(relay)}, .*status=sent \(250 2\.1\.5 ");

            if (slapd is not null)
            {
                var publicId = await postfix.SubmitAsync(Sender, ["public@example.com"], Message("<public@test>", "public@example.com"), timeout.Token);
                await postfix.WaitForLogAsync($@"{publicId}: to=<public@example\.com>, relay={Regex.Escape(relay)}, .*status=sent \(250 2\.1\.5 ");

                // The directory goes away: recipients are deferred (the sender retries), never refused.
                await slapd.StopAsync();
                var during = await postfix.RecipientRepliesAsync(Sender, ["bob@example.com", "rabbit-hole@example.com"], timeout.Token);
                Assert.All(during, reply => Assert.StartsWith("451 4.3.0 ", reply));
                Assert.Contains("socketmap server temporary error: user directory unavailable", postfix.Log);
                await slapd.RestartAsync();
                var after = await postfix.RecipientRepliesAsync(Sender, ["bob@example.com", "rabbit-hole@example.com", "nobody@example.com"], timeout.Token);
                Assert.Equal(["250", "250", "550"], after.Select(r => r[..3]));
            }
            Assert.DoesNotContain("status=deferred", postfix.Log);
            Assert.DoesNotContain("status=bounced", postfix.Log);
            // (main.cf sets virtual_mailbox_maps and more twice on purpose: Postfix warns of that; the outage warns of the lookup failures)
            var warnings = postfix.Log.Split('\n').Where(line => line.Contains("warning:", StringComparison.Ordinal)
                && !line.Contains("overriding earlier entry", StringComparison.Ordinal)
                && !(slapd is not null && (line.Contains(" lookup error for ", StringComparison.Ordinal) || line.Contains("socketmap server temporary error: user directory unavailable", StringComparison.Ordinal)))).ToList();
            Assert.True(warnings.Count == 0, string.Join("\n", warnings));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            postfix?.Dispose();
        }

        var store = OpenStore();
        Assert.Equal(["<alias@test>", "<group@test>"], (await InboxAsync(store, owners["alice"])).Select(i => i.Fields.MessageId).Order());
        Assert.Equal(["<group@test>"], (await InboxAsync(store, owners["bob"])).Select(i => i.Fields.MessageId));
        Assert.Empty(await InboxAsync(store, owners["hidden"]));
        if (slapd is not null)
            Assert.Equal(["<public@test>"], (await PublicFolderAsync(store, "Public Stores", "public")).Select(i => i.Fields.MessageId));
    }

    static byte[] Message(string messageId, string to) => Encoding.ASCII.GetBytes(
        $"Message-ID: {messageId}\r\nFrom: <{Sender}>\r\nTo: {to}\r\nSubject: socketmap\r\nDate: Mon, 17 Nov 2025 10:00:00 +0100\r\n\r\nHello.\r\n");

    SqlMailStore OpenStore()
    {
        var database = new Database(cli.Database);
        var blobs = new BlobStorage(database, AttachmentStorage.Files, Blobs.ContentAddressedStore.Files(Path.Combine(cli.DataDirectory, "attachments"), 6));
        return new SqlMailStore(database, blobs, new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
    }

    static async Task<IReadOnlyList<ItemInfo>> InboxAsync(SqlMailStore store, string storeOwner)
    {
        if (await store.FindStoreAsync(StoreKind.Private, storeOwner) is not { } info)
            return [];
        var inbox = (await store.ListFoldersAsync(info.Id)).Single(f => f.SpecialUse == SpecialUse.Inbox);
        return await store.ListItemsAsync(inbox.Id);
    }

    static async Task<IReadOnlyList<ItemInfo>> PublicFolderAsync(SqlMailStore store, params string[] path)
    {
        var publicStore = (await store.FindStoreAsync(StoreKind.Public, ""))!;
        var folders = await store.ListFoldersAsync(publicStore.Id);
        FolderInfo? current = null;
        foreach (var name in path)
            current = folders.Single(f => f.ParentId == current?.Id && f.Name == name);
        return await store.ListItemsAsync(current!.Id);
    }
}
