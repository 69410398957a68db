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
        using (var staged = await blobs.Files.StageAsync(new MemoryStream(content)))
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
