using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Rookery.Store;
using Rookery.Store.Sql;

namespace Rookery.Tests;

public sealed class LmtpCrashTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Every_message_acknowledged_with_250_survives_kill_9_exactly_once()
    {
        var lmtp = Cli.FreePort();
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{lmtp}\n");
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "pw", "--email", "alice@example.com")).ExitCode);

        var random = new Random(4711);
        var acknowledged = new HashSet<string>();
        var attempted = new HashSet<string>();
        var next = 0;
        for (var round = 0; round < 4; round++)
        {
            using var server = Process.Start(cli.StartInfo("serve"))!;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
                await Cli.WaitForBannerAsync(server);
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", lmtp, timeout.Token);
                var stream = tcp.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                await reader.ReadLineAsync(timeout.Token);
                await Send(stream, "LHLO crash.test\r\n");
                while ((await reader.ReadLineAsync(timeout.Token))!.StartsWith("250-", StringComparison.Ordinal)) { }

                var killAt = random.Next(2, 8);
                for (var i = 0; ; i++)
                {
                    var id = $"<crash-{next++}@test>";
                    attempted.Add(id);
                    await Send(stream, "MAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
                    for (var r = 0; r < 3; r++)
                        await reader.ReadLineAsync(timeout.Token);
                    var body = $"Message-ID: {id}\r\nSubject: crash {id}\r\n\r\n{new string('b', random.Next(100, 200_000))}\r\n.\r\n";
                    if (i == killAt)
                    {
                        // die mid-message or right after the final dot, before the reply
                        var cut = random.Next(2) == 0 ? body.Length : random.Next(body.Length);
                        await Send(stream, body[..cut]);
                        await Task.Delay(random.Next(0, 20));
                        break;
                    }
                    await Send(stream, body);
                    var reply = await reader.ReadLineAsync(timeout.Token);
                    Assert.StartsWith("250 ", reply);
                    acknowledged.Add(id);
                }
            }
            finally
            {
                server.Kill(entireProcessTree: true); // SIGKILL
                await server.WaitForExitAsync();
            }
        }

        var database = new Database(cli.Database);
        var blobs = new BlobStorage(database, AttachmentStorage.Files, Blobs.ContentAddressedStore.Files(Path.Combine(cli.DataDirectory, "attachments"), 6));
        var store = new SqlMailStore(database, blobs, new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
        var alice = (await new SqlDirectoryRepository(database).FindUserAsync("db", "alice"))!;
        var info = (await store.FindStoreAsync(StoreKind.Private, alice.StoreOwner))!;
        var inbox = (await store.ListFoldersAsync(info.Id)).Single(f => f.SpecialUse == SpecialUse.Inbox);
        var items = await store.ListItemsAsync(inbox.Id);
        var ids = items.Select(i => i.Fields.MessageId).ToList();

        Assert.True(acknowledged.Count >= 8);
        foreach (var id in acknowledged)
            Assert.True(ids.Count(x => x == id) == 1, $"{id} was acknowledged but is stored {ids.Count(x => x == id)} times");
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Contains(id, attempted));
        foreach (var item in items)
        {
            await using var content = await store.OpenContentAsync(item);
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer);
            var bytes = buffer.ToArray();
            Assert.Equal(item.Size, bytes.Length);
            Assert.StartsWith("Return-Path: <", Encoding.ASCII.GetString(bytes, 0, item.TraceHeaders.Length));
            // the shared content is intact: its bytes still hash to the blob's name
            Assert.Equal(item.BlobId, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(item.TraceHeaders.Length))));
        }
    }

    static Task Send(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();
}
