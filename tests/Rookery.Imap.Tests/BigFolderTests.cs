using System.IO.Pipelines;
using System.Text;
using Rookery.Store;
using Rookery.Testing;

namespace Rookery.Imap.Tests;

/// <summary>
/// A folder of several thousand messages, so that the answers a client asks for when it opens one
/// (every UID and its flags, every size) run past every buffer on the way.
/// </summary>
public sealed class BigFolderTests : IAsyncLifetime
{
    const int Count = 4000;
    ImapHarness harness = null!;

    public async Task InitializeAsync()
    {
        harness = await ImapHarness.CreateAsync();
        // delivered sixteen at a time: the store commits concurrent deliveries together
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) <= Count)
                await harness.DeliverAsync("alice", $"message {i}", flags: i % 3 == 0 ? MessageFlags.Seen : MessageFlags.None);
        }));
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Fact]
    public async Task Every_flag_every_size_and_every_search_hit_of_a_big_folder_arrives()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var session = harness.Session()(new DuplexPipe(toServer.Reader, toClient.Writer));
        using var reader = new StreamReader(toClient.Reader.AsStream(), Encoding.Latin1);
        async Task Send(string line) => await toServer.Writer.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
        async Task<string> Line() => await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) ?? throw new Xunit.Sdk.XunitException("the server closed the connection");
        async Task<List<string>> Until(string tag)
        {
            var lines = new List<string>();
            string line;
            while (!(line = await Line()).StartsWith(tag + " ", StringComparison.Ordinal))
                lines.Add(line);
            Assert.StartsWith(tag + " OK", line);
            return lines;
        }
        // deliveries run concurrently: UIDs follow their commits, not their numbers
        var items = (await harness.Store.ListItemsAsync((await harness.FolderAsync("alice")).Id)).OrderBy(i => i.Uid).ToList();
        Assert.Equal(Count, items.Count);
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), items.Select(i => i.Uid));
        var sizes = items.ToDictionary(i => i.Uid, i => i.Size);
        bool Seen(int uid) => items[uid - 1].Flags.HasFlag(MessageFlags.Seen);

        await Line();
        await Send("a LOGIN alice pw");
        await Until("a");
        await Send("s SELECT INBOX");
        Assert.Contains($"* {Count} EXISTS", await Until("s"));

        await Send("f UID FETCH 1:* (FLAGS)");
        var flags = await Until("f");
        Assert.Equal(Count, flags.Count);
        for (var i = 1; i <= Count; i++)
            Assert.Equal($"* {i} FETCH (UID {i} FLAGS (\\Recent{(Seen(i) ? " \\Seen" : "")}))", flags[i - 1]);

        await Send($"z FETCH 1:{Count} (RFC822.SIZE)");
        var sizeLines = await Until("z");
        Assert.Equal(Count, sizeLines.Count);
        for (var i = 1; i <= Count; i++)
            Assert.Equal($"* {i} FETCH (RFC822.SIZE {sizes[i]})", sizeLines[i - 1]);

        await Send("e UID FETCH 1:* (ENVELOPE)");
        var envelopes = await Until("e");
        Assert.Equal(Count, envelopes.Count);
        Assert.Contains($"\"{items[^1].Fields.Subject}\"", envelopes[^1]);

        await Send("q UID SEARCH UNSEEN");
        var unseen = Assert.Single(await Until("q"));
        Assert.Equal(Count - Count / 3, unseen.Split(' ').Length - 2);
        Assert.Equal("* SEARCH " + string.Join(' ', Enumerable.Range(1, Count).Where(i => !Seen(i))), unseen);

        await Send("t SEARCH SUBJECT \"message 39\"");
        var hits = Assert.Single(await Until("t"));
        var expected = items.Where(i => i.Fields.Subject.StartsWith("message 39", StringComparison.Ordinal)).Select(i => i.Uid).ToList();
        Assert.Equal(111, expected.Count);
        Assert.Equal("* SEARCH " + string.Join(' ', expected), hits);

        await Send("l LOGOUT");
        await Until("l");
        await toServer.Writer.CompleteAsync();
        await session.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
