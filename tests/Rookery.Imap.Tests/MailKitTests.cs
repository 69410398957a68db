using Rookery.Testing;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Rookery.Store;
using StoreFlags = Rookery.Store.MessageFlags;
using FolderAccess = MailKit.FolderAccess;

namespace Rookery.Imap.Tests;

/// <summary>MailKit, a real client library, against sessions served over loopback TCP.</summary>
public sealed class MailKitTests : IAsyncLifetime, IDisposable
{
    ImapHarness harness = null!;
    TcpListener listener = null!;
    readonly CancellationTokenSource stop = new();
    Task accepting = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        harness = await ImapHarness.CreateAsync();
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        accepting = AcceptAsync();
    }

    async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    try
                    {
                        await harness.Session()(new DuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream)));
                    }
                    catch (IOException)
                    {
                        // the client hung up
                    }
                }
            });
        }
    }

    public async Task DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        await harness.DisposeAsync();
    }

    public void Dispose()
    {
        stop.Dispose();
        listener.Dispose();
    }

    async Task<ImapClient> ConnectAsync()
    {
        var client = new ImapClient();
        await client.ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, MailKit.Security.SecureSocketOptions.None);
        await client.AuthenticateAsync("alice", "pw");
        return client;
    }

    [Fact]
    public async Task Header_sections_read_only_up_to_the_blank_line_are_the_whole_messages_headers()
    {
        // CRLF with a long body; bare LF; no blank line at all; a header longer than the first read, with a CR at
        // every read boundary the line lengths allow
        var longHeader = string.Concat(Enumerable.Range(0, 400).Select(i => $"X-Filler-{i}: {new string('x', i % 37)}\r\n"));
        (string Subject, string Text)[] messages =
        [
            ("crlf", "From: a@example.net\r\nSubject: crlf\r\n\r\n" + string.Concat(Enumerable.Repeat("body line\r\n", 3000))),
            ("bare lf", "From: a@example.net\nSubject: bare lf\n\nbody\n\nmore\n"),
            ("header only", "From: a@example.net\r\nSubject: header only\r\n"),
            ("long", "From: a@example.net\r\nSubject: long\r\n" + longHeader + "\r\nbody\r\n"),
        ];
        foreach (var (_, text) in messages)
            await harness.DeliverRawAsync("alice", text);
        using var client = await ConnectAsync();
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly);
        var uids = await inbox.SearchAsync(SearchQuery.All);
        for (var i = 0; i < messages.Length; i++)
        {
            var raw = Encoding.UTF8.GetBytes(messages[i].Text);
            using var header = await inbox.GetStreamAsync(uids[i], "HEADER");
            Assert.Equal(raw[..HeaderEnd(raw)], ReadAll(header));
            // ENVELOPE made from the same start of the message, next to a header field
            var summary = Assert.Single(await inbox.FetchAsync([uids[i]], new FetchRequest(MessageSummaryItems.Envelope) { Headers = new HeaderSet([MimeKit.HeaderId.Subject]) }));
            Assert.Equal(messages[i].Subject, summary.Envelope!.Subject);
            Assert.Equal(messages[i].Subject, summary.Headers![MimeKit.HeaderId.Subject]);
        }
        await client.DisconnectAsync(true);

        static int HeaderEnd(byte[] raw)
        {
            for (var lineStart = 0; lineStart < raw.Length;)
            {
                if (raw[lineStart] == (byte)'\n')
                    return lineStart + 1;
                if (raw[lineStart] == (byte)'\r' && lineStart + 1 < raw.Length && raw[lineStart + 1] == (byte)'\n')
                    return lineStart + 2;
                var lf = Array.IndexOf(raw, (byte)'\n', lineStart);
                if (lf < 0)
                    break;
                lineStart = lf + 1;
            }
            return raw.Length;
        }

        static byte[] ReadAll(Stream stream)
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }

    [Fact]
    public async Task Idle_hears_of_a_delivery_within_a_second()
    {
        using var client = await ConnectAsync();
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Idle));
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var arrived = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        inbox.CountChanged += (_, _) => arrived.TrySetResult(inbox.Count);
        using var done = new CancellationTokenSource();
        var idling = client.IdleAsync(done.Token);
        await Task.Delay(200); // let IDLE start

        var started = DateTime.UtcNow;
        await harness.DeliverAsync("alice", "pushed");
        Assert.Equal(1, await arrived.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1), $"IDLE took {DateTime.UtcNow - started}");
        await done.CancelAsync();
        await idling;
        var summary = await inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);
        Assert.Equal(1u, Assert.Single(summary).UniqueId.Id);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Qresync_resynchronizes_flags_and_vanished_messages()
    {
        for (var i = 1; i <= 4; i++)
            await harness.DeliverAsync("alice", $"m{i}");
        using var client = await ConnectAsync();
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.QuickResync));
        await client.EnableQuickResyncAsync();
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var validity = inbox.UidValidity;
        var highest = inbox.HighestModSeq;
        var known = await inbox.SearchAsync(SearchQuery.All);
        await inbox.CloseAsync();

        // changes while the client looks elsewhere
        var folder = await harness.FolderAsync("alice");
        await harness.Store.SetFlagsAsync(folder.Id, [2], new FlagChange(FlagOperation.Add, StoreFlags.Flagged, []));
        await harness.Store.ExpungeAsync(folder.Id, [3]);

        var vanished = new List<UniqueId>();
        var flagged = new List<UniqueId>();
        inbox.MessagesVanished += (_, e) => vanished.AddRange(e.UniqueIds);
        inbox.MessageFlagsChanged += (_, e) => { if (e.UniqueId is { } uid && e.Flags.HasFlag(MailKit.MessageFlags.Flagged)) flagged.Add(uid); };
        await inbox.OpenAsync(FolderAccess.ReadWrite, validity, highest, known);
        Assert.Equal([new UniqueId(validity, 3)], vanished);
        Assert.Equal([new UniqueId(validity, 2)], flagged);
        Assert.True(inbox.HighestModSeq > highest);
        Assert.Equal(3, inbox.Count);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Acl_through_MailKit_and_idle_in_a_folder_bob_shares()
    {
        await harness.Repository.UpdateUserAsync("db", "bob", new Directory.UserUpdate { ResetFeatures = ["imap"] }, null);
        using (var bob = new ImapClient())
        {
            await bob.ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, MailKit.Security.SecureSocketOptions.None);
            await bob.AuthenticateAsync("bob", "pw");
            Assert.True(bob.Capabilities.HasFlag(ImapCapabilities.Acl));
            var shared = (await bob.GetFolder(bob.PersonalNamespaces[0]).CreateAsync("Shared", true))!;
            await shared.SetAccessRightsAsync("alice", new AccessRights("lrsi"));
            var acl = await shared.GetAccessControlListAsync();
            Assert.Equal(["bob", "alice"], acl.Select(a => a.Name));
            Assert.Equal("lrsip", acl[1].Rights.ToString());
            Assert.Equal("lrswipkxtecda", (await shared.GetMyAccessRightsAsync()).ToString());
            await bob.DisconnectAsync(true);
        }

        using var client = await ConnectAsync();
        Assert.Equal("Other Users", client.OtherNamespaces[0].Path);
        Assert.Equal("Public Folders", client.SharedNamespaces[0].Path);
        var folder = await client.GetFolderAsync("Other Users/bob/Shared");
        Assert.Equal("lrsip", (await folder.GetMyAccessRightsAsync()).ToString());
        await Assert.ThrowsAsync<ImapCommandException>(() => folder.GetAccessControlListAsync());
        await folder.OpenAsync(FolderAccess.ReadWrite);
        var arrived = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        folder.CountChanged += (_, _) => arrived.TrySetResult(folder.Count);
        using var done = new CancellationTokenSource();
        var idling = client.IdleAsync(done.Token);
        await Task.Delay(200); // let IDLE start

        // delivered to bob's store, outside any session: alice's IDLE follows bob's change log
        var bobsStore = (await harness.Store.FindStoreAsync(StoreKind.Private, (await harness.Repository.FindUserAsync("db", "bob"))!.StoreOwner))!;
        var target = (await harness.Store.ListFoldersAsync(bobsStore.Id)).Single(f => f.Name == "Shared");
        using (var staged = await harness.Store.StageAsync(new MemoryStream("Subject: for the team\r\n\r\nHi.\r\n"u8.ToArray())))
            await harness.Store.AppendAsync(target.Id, staged, new Store.AppendRequest());
        Assert.Equal(1, await arrived.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        await done.CancelAsync();
        await idling;
        await folder.AppendAsync(new MimeKit.MimeMessage(new MimeKit.MailboxAddress[] { new("Alice", "alice@example.com") }, new MimeKit.MailboxAddress[] { new("Bob", "bob@example.com") }, "from alice", new MimeKit.TextPart("plain") { Text = "Hi." }));
        Assert.Equal(2, (await harness.Store.GetFolderAsync(target.Id)).MessageCount);
        await client.DisconnectAsync(true);
    }
}
