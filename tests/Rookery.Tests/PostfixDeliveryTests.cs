using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Rookery.Store;
using Rookery.Store.Sql;

namespace Rookery.Tests;

/// <summary>
/// The Debian Postfix, in a private instance, takes mail over SMTP and hands it to <c>rookery serve</c>
/// over LMTP, as in production: what Rookery stores is what was submitted, byte for byte.
/// </summary>
public sealed class PostfixDeliveryTests : IDisposable
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
    [InlineData("unix")]
    [InlineData("inet")]
    public async Task Mail_relayed_by_postfix_is_stored_byte_for_byte_and_unknown_recipients_bounce(string lmtpTransport)
    {
        var lmtpPort = Cli.FreePort();
        var socketDirectory = Path.Combine(cli.Root, "run");
        var socket = Path.Combine(socketDirectory, "dagent.sock");
        // Postfix's lmtp client runs as user postfix: it needs the socket's group, and a way to the socket.
        Postfix.LetPostfixThrough(cli.Root);
        Postfix.LetPostfixThrough(socketDirectory);
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{lmtpPort} unix:{socket}\nlmtp_socket_group = postfix\n");
        foreach (var login in new[] { "alice", "bob", "sender" })
            Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", login, "--password", "pw", "--email", $"{login}@example.com")).ExitCode);
        var (transport, relay) = lmtpTransport == "unix"
            ? ($"lmtp:unix:{socket}", $"mx.postfix.test[{socket}]")
            : ($"lmtp:inet:127.0.0.1:{lmtpPort}", $"127.0.0.1[127.0.0.1]:{lmtpPort}");

        var single = Message("<single@test>", "alice@example.com", lines: 300);
        // Big enough for Rookery to spool it to a file while receiving it.
        var shared = Message("<shared@test>", "alice@example.com, bob@example.com", lines: 16_000);
        Assert.True(shared.Length > Dagent.MessageSpool.DefaultMemoryLimit);
        var unknown = Message("<unknown@test>", "nobody@example.com", lines: 300);
        string singleId, sharedId;
        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(server);
            // Drained so that the server never blocks on a full pipe.
            _ = server.StandardOutput.ReadToEndAsync();
            _ = server.StandardError.ReadToEndAsync();
            postfix = await Postfix.StartAsync(Path.Combine(cli.Root, "postfix"), transport);

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            singleId = await postfix.SubmitAsync(Sender, ["alice@example.com"], single, timeout.Token);
            sharedId = await postfix.SubmitAsync(Sender, ["alice@example.com", "bob@example.com"], shared, timeout.Token);
            var unknownId = await postfix.SubmitAsync(Sender, ["nobody@example.com"], unknown, timeout.Token);

            foreach (var (id, recipient) in new[] { (singleId, "alice"), (sharedId, "alice"), (sharedId, "bob") })
                await postfix.WaitForLogAsync($@"{id}: to=<{recipient}@example\.com>, relay={Regex.Escape(relay)}, .*status=sent \(250 2\.1\.5 ");
            await postfix.WaitForLogAsync($@"{unknownId}: to=<nobody@example\.com>, relay={Regex.Escape(relay)}, .*dsn=5\.1\.1, status=bounced \(host .* said: 550 5\.1\.1 ");
            var bounceId = (await postfix.WaitForLogAsync($@"{unknownId}: sender non-delivery notification: (\w+)")).Groups[1].Value;
            await postfix.WaitForLogAsync($@"{bounceId}: to=<{Regex.Escape(Sender)}>, relay={Regex.Escape(relay)}, .*status=sent \(250 2\.1\.5 ");
            Assert.DoesNotContain("status=deferred", postfix.Log);
            Assert.Contains(", conn_use=", postfix.Log); // a later transaction reused an LMTP session
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            postfix?.Dispose();
        }

        var store = OpenStore();
        var alice = await InboxAsync(store, "alice");
        var bob = await InboxAsync(store, "bob");
        Assert.Equal(["<shared@test>", "<single@test>"], alice.Select(i => i.Fields.MessageId).Order());
        Assert.Equal(["<shared@test>"], bob.Select(i => i.Fields.MessageId));
        await AssertStoredAsIsAsync(store, alice.Single(i => i.Fields.MessageId == "<single@test>"), "alice@example.com", single, singleId);
        var aliceShared = alice.Single(i => i.Fields.MessageId == "<shared@test>");
        await AssertStoredAsIsAsync(store, aliceShared, "alice@example.com", shared, sharedId);
        await AssertStoredAsIsAsync(store, bob[0], "bob@example.com", shared, sharedId);
        Assert.Equal(aliceShared.BlobId, bob[0].BlobId);

        // The unknown recipient's message is nowhere; its sender has Postfix's bounce instead.
        var bounce = Assert.Single(await InboxAsync(store, "sender"));
        Assert.Equal("Return-Path: <>\r\nDelivered-To: sender@example.com\r\n", Latin1(bounce.TraceHeaders.Span));
        var report = Encoding.UTF8.GetString(await ReadAsync(store, bounce));
        Assert.Contains("Final-Recipient: rfc822; nobody@example.com\r\n", report);
        Assert.Contains("Status: 5.1.1\r\n", report);
        Assert.Contains("Diagnostic-Code: smtp; 550 5.1.1 ", report);
        Assert.Contains("Message-ID: <unknown@test>", report);
    }

    /// <summary>
    /// The stored copy is Rookery's trace headers, then what Postfix put in front (its Received:
    /// header and nothing else), then the submitted message unchanged.
    /// </summary>
    static async Task AssertStoredAsIsAsync(IMailStore store, ItemInfo item, string recipient, byte[] submitted, string queueId)
    {
        var stored = await ReadAsync(store, item);
        Assert.Equal(item.Size, stored.Length);
        var trace = Encoding.ASCII.GetBytes($"Return-Path: <{Sender}>\r\nDelivered-To: {recipient}\r\n");
        Assert.Equal(Latin1(trace), Latin1(item.TraceHeaders.Span));

        var afterTrace = stored.AsSpan(trace.Length);
        var firstLine = submitted.AsSpan(0, submitted.AsSpan().IndexOf("\r\n"u8) + 2);
        var start = afterTrace.IndexOf(firstLine);
        Assert.True(start >= 0, $"the submitted message's first line is not in the stored copy:\n{Latin1(stored)}");
        var postfixHeaders = afterTrace[..start].ToArray();
        Assert.Matches(@"\AReceived: from client\.test .*\r\n(?:[ \t].*\r\n)*\z", Latin1(postfixHeaders));
        Assert.Contains($" id {queueId}", Latin1(postfixHeaders));

        byte[] expected = [.. trace, .. postfixHeaders, .. submitted];
        Assert.Equal(Latin1(expected), Latin1(stored));
    }

    /// <summary>
    /// A message with what a relay could damage: 8-bit UTF-8 text, lines that start with a dot
    /// (one of them only a dot), trailing white space, a 998-octet line and many lines.
    /// </summary>
    static byte[] Message(string messageId, string to, int lines)
    {
        var text = new StringBuilder();
        text.Append($"Message-ID: {messageId}\r\n");
        text.Append($"From: Sender <{Sender}>\r\n");
        text.Append($"To: {to}\r\n");
        text.Append("Subject: relayed by Postfix\r\n");
        text.Append("Date: Mon, 17 Nov 2025 10:00:00 +0100\r\n");
        text.Append("MIME-Version: 1.0\r\n");
        text.Append("Content-Type: text/plain; charset=utf-8\r\n");
        text.Append("Content-Transfer-Encoding: 8bit\r\n");
        text.Append("\r\n");
        text.Append(".a line that starts with a dot\r\n");
        text.Append(".\r\n");
        text.Append("..two dots\r\n");
        for (var i = 0; i < lines; i++)
            text.Append($"{i:D5} Grüße aus Köln, naïve café, 東京, ☃ — trailing space \r\n");
        text.Append(new string('x', 998)).Append("\r\n");
        text.Append("-- \r\nlast line\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>One char per octet, so that a string comparison is a byte comparison with a readable diff.</summary>
    static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    SqlMailStore OpenStore()
    {
        var database = new Database(cli.Database);
        var blobs = new BlobStorage(database, AttachmentStorage.Files, Blobs.ContentAddressedStore.Files(Path.Combine(cli.DataDirectory, "attachments"), 6));
        return new SqlMailStore(database, blobs, new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
    }

    async Task<IReadOnlyList<ItemInfo>> InboxAsync(SqlMailStore store, string login)
    {
        var user = (await new SqlDirectoryRepository(new Database(cli.Database)).FindUserAsync("db", login))!;
        var info = (await store.FindStoreAsync(StoreKind.Private, user.StoreOwner))!;
        var inbox = (await store.ListFoldersAsync(info.Id)).Single(f => f.SpecialUse == SpecialUse.Inbox);
        return await store.ListItemsAsync(inbox.Id);
    }

    static async Task<byte[]> ReadAsync(IMailStore store, ItemInfo item)
    {
        await using var content = await store.OpenContentAsync(item);
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
