using Rookery.Blobs;

namespace Rookery.Store.Tests;

/// <summary>Interleavings between writers, and between writers and the blob collector.</summary>
public sealed class RaceTests
{
    [Fact]
    public async Task One_message_delivered_to_many_stores_at_once_succeeds_everywhere_and_is_stored_once()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore();
        var inboxes = new List<FolderInfo>();
        for (var i = 0; i < 8; i++)
            inboxes.Add(await store.InboxAsync((await store.EnsureStoreAsync(StoreKind.Private, $"user{i}", "en")).Id));

        for (var round = 0; round < 5; round++)
        {
            var content = Messages.Make($"to everyone {round}", 3000);
            using var staged = await store.StageAsync(new MemoryStream(content));
            await Task.WhenAll(inboxes.Select(inbox => Task.Run(() => store.AppendAsync(inbox.Id, staged, new AppendRequest()))));
        }

        Assert.Equal(5, test.CreateBlobs().Files.EnumerateIds().Count());
        foreach (var inbox in inboxes)
            Assert.Equal(5, (await store.ListItemsAsync(inbox.Id)).Count);
    }

    [Fact]
    public async Task Copies_and_expunges_of_shared_blobs_in_different_stores_do_not_deadlock()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore();
        var a = await store.InboxAsync((await store.EnsureStoreAsync(StoreKind.Private, "a", "en")).Id);
        var b = await store.InboxAsync((await store.EnsureStoreAsync(StoreKind.Private, "b", "en")).Id);
        var shared = Enumerable.Range(0, 6).Select(i => Messages.Make($"shared {i}")).ToList();
        foreach (var folder in new[] { a, b })
            foreach (var content in folder == a ? shared : Enumerable.Reverse(shared))
                await store.AppendAsync(folder.Id, content);
        var aArchive = await store.CreateFolderAsync(a.StoreId, null, "Archive", ContainerClass.Mail);
        var bArchive = await store.CreateFolderAsync(b.StoreId, null, "Archive", ContainerClass.Mail);

        var work = new List<Task>();
        for (var i = 0; i < 6; i++)
        {
            work.Add(Task.Run(() => store.CopyItemsAsync(a.Id, [1, 2, 3, 4, 5, 6], aArchive.Id)));
            work.Add(Task.Run(() => store.CopyItemsAsync(b.Id, [1, 2, 3, 4, 5, 6], bArchive.Id)));
        }
        await Task.WhenAll(work);
        await Task.WhenAll(
            Task.Run(() => store.ExpungeAsync(aArchive.Id, Enumerable.Range(1, 36).Select(i => (long)i).ToList())),
            Task.Run(() => store.ExpungeAsync(bArchive.Id, Enumerable.Range(1, 36).Select(i => (long)i).ToList())));

        Assert.Empty(await store.ListItemsAsync(aArchive.Id));
        Assert.Equal(6, (await store.ListItemsAsync(b.Id)).Count);
        foreach (var item in await store.ListItemsAsync(a.Id))
            Assert.NotEmpty(await store.ReadAllAsync(item));
    }

    [Fact]
    public async Task Content_lost_by_a_collector_killed_before_its_commit_is_restored_by_the_next_append()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore();
        var inbox = await store.InboxAsync((await store.EnsureStoreAsync(StoreKind.Private, "alice", "en")).Id);
        var content = Messages.Make("again");
        var first = await store.AppendAsync(inbox.Id, content);
        await store.ExpungeAsync(inbox.Id, [first.Uid]);
        // the collector deleted the file, then died before deleting the row
        test.CreateBlobs().Files.Delete(Messages.Id(content));

        var second = await store.AppendAsync(inbox.Id, content);

        Assert.Equal(content, await store.ReadAllAsync((await store.GetItemAsync(inbox.Id, second.Uid))!));
    }

    [Fact]
    public async Task A_file_no_row_knows_is_registered_first_and_collected_later()
    {
        await using var test = await TestDatabase.CreateAsync();
        var blobs = test.CreateBlobs();
        var content = Messages.Make("orphan");
        using (var staged = await blobs.Files.StageAsync(new MemoryStream(content), 0))
            blobs.Files.Place(staged); // as a transaction that failed after placing its file leaves it
        var id = Messages.Id(content);

        await blobs.CollectAsync(TimeSpan.Zero);
        Assert.True(blobs.Files.Exists(id), "a file without a committed row may belong to a writer about to commit");
        await blobs.CollectAsync(TimeSpan.Zero);
        Assert.False(blobs.Files.Exists(id));
    }

    [Fact]
    public async Task Fields_with_nul_characters_are_stored_on_every_engine()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore();
        var inbox = await store.InboxAsync((await store.EnsureStoreAsync(StoreKind.Private, "alice", "en")).Id);
        var result = await store.AppendAsync(inbox.Id, Messages.Make("nul"), new AppendRequest { Fields = new ItemFields { Subject = "bad\0subject", MessageId = new string('x', 997) + "😀" } });
        var item = (await store.GetItemAsync(inbox.Id, result.Uid))!;
        Assert.Equal("badsubject", item.Fields.Subject);
        Assert.Equal(997, item.Fields.MessageId.Length); // the cut does not split the surrogate pair
    }

    [Fact]
    public async Task Folder_names_with_leading_or_trailing_spaces_are_refused()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore();
        var info = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        await Assert.ThrowsAsync<FolderOperationException>(() => store.CreateFolderAsync(info.Id, null, "Lists ", ContainerClass.Mail));
        await Assert.ThrowsAsync<FolderOperationException>(() => store.CreateFolderAsync(info.Id, null, " Lists", ContainerClass.Mail));
    }
}

/// <summary>
/// Many writers to one store at once: on SQLite they share commits (GroupCommit), on the servers
/// they queue on the store row. Either way each write is its own unit: one refused for quota does
/// not take the others with it, and the rest get distinct modseqs and gap-free UIDs.
/// </summary>
public sealed class ConcurrentWriterTests
{
    /// <summary>
    /// On SQLite the first write that finds nobody committing commits on its own thread and hands
    /// the lead over when it is done: writes that arrive at every moment of that hand-over, from
    /// many threads in bursts, must all be committed, none left waiting in the queue.
    /// </summary>
    [Fact]
    public async Task Bursts_of_writes_from_many_threads_all_complete()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore();
        var info = await store.EnsureStoreAsync(StoreKind.Private, "bursts", "en");
        var inbox = await store.InboxAsync(info.Id);
        var uids = new List<long>();
        for (var i = 0; i < 8; i++)
            uids.Add((await store.AppendAsync(inbox.Id, Messages.Make($"m{i}", 200))).Uid);
        var before = (await store.GetStoreAsync(info.Id)).ModSeq;

        var writers = Enumerable.Range(0, 16).Select(t => Task.Run(async () =>
        {
            var random = new Random(t);
            var uid = uids[0];
            for (var round = 0; round < 60; round++)
            {
                if (round % 2 == 0)
                    uid = uids[random.Next(uids.Count)]; // added here, removed from the same message next round
                var keyword = $"k{t}";
                await store.SetFlagsAsync(inbox.Id, [uid], new FlagChange(round % 2 == 0 ? FlagOperation.Add : FlagOperation.Remove, MessageFlags.None, [keyword]));
                if (random.Next(4) == 0)
                    await Task.Delay(random.Next(2));
            }
        })).ToList();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(120));

        // every write got its own modseq, and each writer removed every keyword it added
        Assert.Equal(before + 16 * 60, (await store.GetStoreAsync(info.Id)).ModSeq);
        Assert.All(await store.ListItemsAsync(inbox.Id), item => Assert.Empty(item.Keywords));
    }

    [Fact]
    public async Task Concurrent_appends_to_one_store_commit_independently_and_a_refused_one_fails_alone()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore(new QuotaLimits(0, 0, 200_000));
        var info = await store.EnsureStoreAsync(StoreKind.Private, "busy", "en");
        var inbox = await store.InboxAsync(info.Id);
        using var subscription = store.Notifier.Subscribe(info.Id);

        // 40 small messages and 4 that can never fit, submitted together
        var small = Enumerable.Range(0, 40).Select(i => Messages.Make($"small {i}", 1000)).ToList();
        var huge = Enumerable.Range(0, 4).Select(i => Messages.Make($"huge {i}", 300_000)).ToList();
        var attempts = small.Select(content => (content, fits: true)).Concat(huge.Select(content => (content, fits: false)))
            .OrderBy(_ => Random.Shared.Next()).ToList();
        var results = await Task.WhenAll(attempts.Select(a => Task.Run(async () =>
        {
            AppendResult? result = null;
            try
            {
                result = await store.AppendAsync(inbox.Id, a.content);
            }
            catch (QuotaExceededException)
            {
            }
            return (a.fits, result);
        })));

        Assert.All(results, r => Assert.Equal(r.fits, r.result is not null));
        var stored = results.Where(r => r.result is not null).Select(r => r.result!).ToList();
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), stored.Select(r => r.Uid).Order());
        Assert.Equal(40, stored.Select(r => r.ModSeq).Distinct().Count());
        var items = await store.ListItemsAsync(inbox.Id);
        Assert.Equal(40, items.Count);
        Assert.Equal(stored.Select(r => r.ItemId).Order(), items.Select(i => i.Id).Order());
        foreach (var item in items)
            Assert.StartsWith("Subject: small", System.Text.Encoding.ASCII.GetString(await store.ReadAllAsync(item)).Split("\r\n").First(l => l.StartsWith("Subject:", StringComparison.Ordinal)));
        Assert.True(subscription.Reader.TryRead(out var change));
        Assert.Contains(change.ModSeq, stored.Select(r => r.ModSeq));
        Assert.Equal(stored.Max(r => r.ModSeq), (await store.GetStoreAsync(info.Id)).ModSeq);
        Assert.Equal(40, (await store.GetFolderAsync(inbox.Id)).MessageCount);
    }
}
