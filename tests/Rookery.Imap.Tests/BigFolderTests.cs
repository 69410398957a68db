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
        // three with addresses of their own, the last given encoded
        await harness.DeliverRawAsync("alice", "From: Carol Quux <carol@example.org>\r\nTo: alice@example.com\r\nCc: Dave <dave@example.org>\r\nSubject: one\r\n\r\nx\r\n");
        await harness.DeliverRawAsync("alice", "From: erin@example.org\r\nTo: Bob <bob@example.com>\r\nSubject: two\r\n\r\nyy\r\n");
        await harness.DeliverRawAsync("alice", "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>\r\nTo: alice@example.com\r\nSubject: three\r\n\r\nzzz\r\n");
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Fact]
    public async Task Every_flag_every_size_and_every_search_hit_of_a_big_folder_arrives()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var session = harness.Session()(new DuplexPipe(toServer.Reader, toClient.Writer));
        using var reader = new StreamReader(toClient.Reader.AsStream(), Encoding.Latin1);
        async Task Send(string line) => await toServer.Writer.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"));
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
        Assert.Equal(Count + 3, items.Count);
        Assert.Equal(Enumerable.Range(1, Count + 3).Select(i => (long)i), items.Select(i => i.Uid));
        var sizes = items.ToDictionary(i => i.Uid, i => i.Size);
        bool Seen(int uid) => items[uid - 1].Flags.HasFlag(MessageFlags.Seen);

        await Line();
        await Send("a LOGIN alice pw");
        await Until("a");
        await Send("s SELECT INBOX");
        Assert.Contains($"* {Count + 3} EXISTS", await Until("s"));

        await Send("f UID FETCH 1:* (FLAGS)");
        var flags = await Until("f");
        Assert.Equal(Count + 3, flags.Count);
        for (var i = 1; i <= Count; i++)
            Assert.Equal($"* {i} FETCH (UID {i} FLAGS (\\Recent{(Seen(i) ? " \\Seen" : "")}))", flags[i - 1]);

        await Send($"z FETCH 1:{Count} (RFC822.SIZE)");
        var sizeLines = await Until("z");
        Assert.Equal(Count, sizeLines.Count);
        for (var i = 1; i <= Count; i++)
            Assert.Equal($"* {i} FETCH (RFC822.SIZE {sizes[i]})", sizeLines[i - 1]);

        await Send("e UID FETCH 1:* (ENVELOPE)");
        var envelopes = await Until("e");
        Assert.Equal(Count + 3, envelopes.Count);
        Assert.Contains($"\"{items[^1].Fields.Subject}\"", envelopes[^1]);

        await Send("q UID SEARCH UNSEEN");
        var unseen = Assert.Single(await Until("q"));
        Assert.Equal(Count - Count / 3 + 3, unseen.Split(' ').Length - 2);
        Assert.Equal("* SEARCH " + string.Join(' ', Enumerable.Range(1, Count + 3).Where(i => !Seen(i))), unseen);

        await Send("t SEARCH SUBJECT \"message 39\"");
        var hits = Assert.Single(await Until("t"));
        var expected = items.Where(i => i.Fields.Subject.StartsWith("message 39", StringComparison.Ordinal)).Select(i => i.Uid).ToList();
        Assert.Equal(111, expected.Count);
        Assert.Equal("* SEARCH " + string.Join(' ', expected), hits);

        // addresses: by name, by address, in any case, with other keys beside them, encoded names decoded
        var (carol, erin, juergen) = (Count + 1, Count + 2, Count + 3);
        foreach (var (search, expected2) in new[]
        {
            ("FROM carol", $"{carol}"), ("FROM QUUX", $"{carol}"), ("FROM example.org", $"{carol} {erin}"),
            ("CC dave", $"{carol}"), ("CC \"\"", $"{carol}"), ("TO bob", $"{erin}"), ("TO \"bob@example.COM\"", $"{erin}"),
            ("FROM example.org LARGER 50 UNSEEN", $"{carol} {erin}"), ("FROM example.org SMALLER 5", ""),
            ("NOT FROM sender@example.net", $"{carol} {erin} {juergen}"), ("OR FROM erin CC dave", $"{carol} {erin}"),
            ("FROM \"rgen M\"", $"{juergen}"), ("CHARSET UTF-8 FROM {7+}\r\nmüLLER", $"{juergen}"), ("FROM nobody", ""),
        })
        {
            await Send($"a UID SEARCH {search}");
            Assert.True(("* SEARCH " + expected2).TrimEnd() == Assert.Single(await Until("a")), $"UID SEARCH {search}");
        }
        await Send("c SEARCH FROM sender SUBJECT \"message 1234\"");
        Assert.Equal("* SEARCH " + string.Join(' ', items.Where(i => i.Fields.Subject == "message 1234").Select(i => i.Uid)), Assert.Single(await Until("c")));

        await Send("l LOGOUT");
        await Until("l");
        await toServer.Writer.CompleteAsync();
        await session.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
