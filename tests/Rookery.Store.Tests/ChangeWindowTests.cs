namespace Rookery.Store.Tests;

/// <summary>
/// The change log read with a known committed modseq is answered from what other readers of the store read
/// before: the answer is always the log's own, whole up to that modseq and without a gap before its last change.
/// </summary>
public sealed class ChangeWindowTests : IAsyncLifetime
{
    TestDatabase test = null!;
    Sql.SqlMailStore store = null!;
    StoreInfo alice = null!;
    FolderInfo inbox = null!;

    public async Task InitializeAsync()
    {
        test = await TestDatabase.CreateAsync();
        store = test.CreateStore();
        alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        inbox = await store.InboxAsync(alice.Id);
    }

    public async Task DisposeAsync() => await test.DisposeAsync();

    async Task<long> ModSeqAsync() => (await store.GetStoreAsync(alice.Id)).ModSeq;

    /// <summary>What a reader that shares nothing gets: the log, read from the database.</summary>
    Task<IReadOnlyList<Change>> FromLogAsync(long since) => store.GetChangesAsync(alice.Id, since);

    static string Show(IEnumerable<Change> changes) => string.Join(' ', changes.Select(c => $"{c.ModSeq}:{c.Kind}:{c.Uid}"));

    [Fact]
    public async Task Readers_that_share_the_window_get_what_the_log_says_across_many_writes_and_trims()
    {
        var uids = new List<long>();
        for (var i = 0; i < 40; i++)
            uids.Add((await store.AppendAsync(inbox.Id, Messages.Make($"message {i}"))).Uid);
        var random = new Random(17);
        // readers as sessions are: each remembers where it got to
        var readers = new long[5];
        var flagWrites = 0;
        for (var round = 0; round < 400; round++)
        {
            // one write: flags on many messages (one modseq, many rows), an expunge, now and then an append
            // (state changes mostly: their fsync is deferred, so the test does not load the disk that tests
            // running beside it time their fsyncs on)
            var kind = random.Next(10);
            if (kind == 0 || uids.Count < 20)
                uids.Add((await store.AppendAsync(inbox.Id, Messages.Make($"more {round}"))).Uid);
            else if (kind <= 2)
            {
                var gone = uids[random.Next(uids.Count)];
                await store.ExpungeAsync(inbox.Id, [gone]);
                uids.Remove(gone);
            }
            else
                await store.SetFlagsAsync(inbox.Id, uids, new FlagChange(flagWrites++ % 2 == 0 ? FlagOperation.Add : FlagOperation.Remove, MessageFlags.Seen, []));
            var committed = await ModSeqAsync();
            foreach (var r in Enumerable.Range(0, readers.Length).OrderBy(_ => random.Next()).Take(random.Next(1, readers.Length + 1)))
            {
                // now and then a reader starts over from further back, or hears of an older modseq
                var since = random.Next(3) == 0 ? random.Next((int)committed) : readers[r];
                var told = random.Next(5) == 0 ? Math.Max(since, committed - 1) : committed;
                var shared = await store.GetChangesAsync(alice.Id, since, committed: told);
                var own = await FromLogAsync(since);
                // every change up to what the reader was told of, and then nothing missing before the last it got
                Assert.Equal(Show(own.Take(shared.Count)), Show(shared));
                Assert.Equal(Show(own.Where(c => c.ModSeq <= told)), Show(shared.Where(c => c.ModSeq <= told)));
                readers[r] = shared.Count > 0 ? shared[^1].ModSeq : since;
            }
        }
        // the rows of 400 writes over 40-odd messages are more than the window keeps: it was trimmed on the way
        var total = (await FromLogAsync(0)).Count;
        Assert.True(total > 4096 + 2000, $"{total} changes");
    }
}
