using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Rookery.Store;
using Rookery.Store.Sql;

namespace Rookery.Tests;

/// <summary>
/// A real Postfix asks <c>rookery serve</c> over the socketmap which recipients exist
/// (virtual_mailbox_maps), what an alias stands for and who is in a group (virtual_alias_maps),
/// instead of accepting every address as PostfixDeliveryTests' Postfix does.
/// </summary>
public sealed class PostfixSocketmapTests : IDisposable
{
    const string Sender = "sender@example.com";
    readonly Cli cli = new();
    Postfix? postfix;

    public void Dispose()
    {
        postfix?.Dispose();
        cli.Dispose();
    }

    [PostfixTheory]
    [InlineData("db")]
    public async Task Postfix_rejects_unknown_recipients_at_rcpt_and_delivers_aliases_and_groups_by_the_socketmap(string userPlugin)
    {
        Assert.Equal("db", userPlugin);
        var lmtpPort = Cli.FreePort();
        var socketmapPort = Cli.FreePort();
        var socketDirectory = Path.Combine(cli.Root, "run");
        var socket = Path.Combine(socketDirectory, "postfix.sock");
        Postfix.LetPostfixThrough(cli.Root);
        Postfix.LetPostfixThrough(socketDirectory);
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\n");
        // Both kinds of socketmap listener: Postfix's daemons (user postfix) reach the unix one by its group.
        cli.WriteConfig("dagent.cfg", $"""
            lmtp_listen = 127.0.0.1:{lmtpPort}
            postfix_socketmap_listen = 127.0.0.1:{socketmapPort} unix:{socket}
            postfix_socketmap_socket_group = postfix
            """);
        foreach (var login in new[] { "alice", "bob", "carol", "sender" })
            Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", login, "--password", "pw", "--email", $"{login}@example.com")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "update", "alice", "--add-alias", "a.liddell@example.com")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("admin", "group", "add", "staff", "--email", "staff@example.com")).ExitCode);
        foreach (var member in new[] { "alice", "bob" })
            Assert.Equal(0, (await cli.RunAsync("admin", "group", "add-member", "staff", member)).ExitCode);

        var relay = $"127.0.0.1[127.0.0.1]:{lmtpPort}";
        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(server);
            _ = server.StandardOutput.ReadToEndAsync();
            _ = server.StandardError.ReadToEndAsync();
            postfix = await Postfix.StartAsync(Path.Combine(cli.Root, "postfix"), $"lmtp:inet:127.0.0.1:{lmtpPort}", $"""
                virtual_mailbox_maps = socketmap:unix:{socket}:mailbox
                virtual_alias_maps = socketmap:inet:127.0.0.1:{socketmapPort}:alias, socketmap:inet:127.0.0.1:{socketmapPort}:group
                """);

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var replies = await postfix.RecipientRepliesAsync(Sender, ["nobody@example.com", "carol@example.com", "a.liddell@example.com", "staff@example.com"], timeout.Token);
            Assert.StartsWith("550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table", replies[0]);
            Assert.All(replies.Skip(1), reply => Assert.StartsWith("250 ", reply));

            var aliasId = await postfix.SubmitAsync(Sender, ["a.liddell@example.com"], Message("<alias@test>", "a.liddell@example.com"), timeout.Token);
            var groupId = await postfix.SubmitAsync(Sender, ["staff@example.com"], Message("<group@test>", "staff@example.com"), timeout.Token);
            await postfix.WaitForLogAsync($@"{aliasId}: to=<alice@example\.com>, orig_to=<a\.liddell@example\.com>, relay={Regex.Escape(relay)}, .*status=sent \(250 2\.1\.5 ");
            foreach (var member in new[] { "alice", "bob" })
                await postfix.WaitForLogAsync($@"{groupId}: to=<{member}@example\.com>, orig_to=<staff@example\.com>, relay={Regex.Escape(relay)}, .*status=sent \(250 2\.1\.5 ");
            Assert.DoesNotContain("status=deferred", postfix.Log);
            // (main.cf sets virtual_mailbox_maps twice on purpose: Postfix warns of that, and only of that)
            var warnings = postfix.Log.Split('\n').Where(line => line.Contains("warning:", StringComparison.Ordinal) && !line.Contains("overriding earlier entry", StringComparison.Ordinal)).ToList();
            Assert.True(warnings.Count == 0, string.Join("\n", warnings));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            postfix?.Dispose();
        }

        var store = OpenStore();
        Assert.Equal(["<alias@test>", "<group@test>"], (await InboxAsync(store, "alice")).Select(i => i.Fields.MessageId).Order());
        Assert.Equal(["<group@test>"], (await InboxAsync(store, "bob")).Select(i => i.Fields.MessageId));
        Assert.Empty(await InboxAsync(store, "carol"));
        Assert.Empty(await InboxAsync(store, "sender")); // no bounce: nothing was accepted and then refused
    }

    static byte[] Message(string messageId, string to) => Encoding.ASCII.GetBytes(
        $"Message-ID: {messageId}\r\nFrom: <{Sender}>\r\nTo: {to}\r\nSubject: socketmap\r\nDate: Mon, 17 Nov 2025 10:00:00 +0100\r\n\r\nHello.\r\n");

    SqlMailStore OpenStore()
    {
        var database = new Database(cli.Database);
        var blobs = new BlobStorage(database, AttachmentStorage.Files, new Blobs.FileBlobStore(Path.Combine(cli.DataDirectory, "attachments"), 6));
        return new SqlMailStore(database, blobs, new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
    }

    async Task<IReadOnlyList<ItemInfo>> InboxAsync(SqlMailStore store, string login)
    {
        var user = (await new SqlDirectoryRepository(new Database(cli.Database)).FindUserAsync("db", login))!;
        if (await store.FindStoreAsync(StoreKind.Private, user.StoreOwner) is not { } info)
            return [];
        var inbox = (await store.ListFoldersAsync(info.Id)).Single(f => f.SpecialUse == SpecialUse.Inbox);
        return await store.ListItemsAsync(inbox.Id);
    }
}
