using LinqToDB.Data;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

public sealed class ItemTests : IAsyncLifetime
{
    TestDatabase test = null!;
    SqlMailStore store = null!;
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

    [Fact]
    public async Task A_state_change_is_fsynced_within_the_delay_and_new_content_at_once()
    {
        if (test.Settings.Engine != DatabaseEngine.Sqlite)
        {
            Assert.False(store.HasUnsyncedStateChanges); // the servers commit each write durably
            return;
        }
        // a delay long enough that a slow machine still sees the window
        var delay = TimeSpan.FromSeconds(2);
        var deferred = new SqlMailStore(new Database(test.Settings with { StateSyncDelay = delay }), test.CreateBlobs(), new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
        var uid = (await deferred.AppendAsync(inbox.Id, Messages.Make("one"))).Uid;
        Assert.False(deferred.HasUnsyncedStateChanges);

        // a flag change is acknowledged before its fsync, which follows within the delay
        await deferred.SetFlagsAsync(inbox.Id, [uid], new FlagChange(FlagOperation.Add, MessageFlags.Seen, []));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(deferred.HasUnsyncedStateChanges);
        while (deferred.HasUnsyncedStateChanges && watch.Elapsed < delay * 3)
            await Task.Delay(10);
        Assert.False(deferred.HasUnsyncedStateChanges, "the state change was not fsynced");
        Assert.InRange(watch.Elapsed, delay / 2, delay + TimeSpan.FromSeconds(1));

        // new content waits for its fsync, which takes the state changes before it along
        await deferred.ExpungeAsync(inbox.Id, [uid]);
        Assert.True(deferred.HasUnsyncedStateChanges);
        await deferred.AppendAsync(inbox.Id, Messages.Make("two"));
        Assert.False(deferred.HasUnsyncedStateChanges);

        // with no delay every change is fsynced before it is acknowledged
        var strict = new SqlMailStore(new Database(test.Settings with { StateSyncDelay = TimeSpan.Zero }), test.CreateBlobs(), new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
        var three = (await strict.AppendAsync(inbox.Id, Messages.Make("three"))).Uid;
        await strict.SetFlagsAsync(inbox.Id, [three], new FlagChange(FlagOperation.Add, MessageFlags.Flagged, []));
        Assert.False(strict.HasUnsyncedStateChanges);
    }

    [Fact]
    public async Task The_writer_connection_goes_back_to_the_pool_with_synchronous_full_after_deferring_fsyncs()
    {
        if (test.Settings.Engine != DatabaseEngine.Sqlite)
            return; // the servers have no group commit and no synchronous setting
        var database = new Database(test.Settings with { StateSyncDelay = TimeSpan.FromMilliseconds(100), WriterIdle = TimeSpan.FromMilliseconds(200) });
        var deferred = new SqlMailStore(database, test.CreateBlobs(), new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
        var uid = (await deferred.AppendAsync(inbox.Id, Messages.Make("one"))).Uid;
        // the writer switches its connection to synchronous = NORMAL for a flag change
        await deferred.SetFlagsAsync(inbox.Id, [uid], new FlagChange(FlagOperation.Add, MessageFlags.Seen, []));
        Assert.True(deferred.HasUnsyncedStateChanges);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (deferred.HasUnsyncedStateChanges && watch.Elapsed < TimeSpan.FromSeconds(10))
            await Task.Delay(10);
        Assert.False(deferred.HasUnsyncedStateChanges);
        // then closes it when idle; every connection the pool holds, the writer's among them, syncs every commit
        await Task.Delay(TimeSpan.FromSeconds(2));
        var connections = new List<DataConnection>();
        try
        {
            for (var i = 0; i < database.Settings.PoolSize; i++)
                connections.Add(await database.OpenAsync());
            foreach (var db in connections)
                Assert.Equal(2, await db.ExecuteAsync<int>("PRAGMA synchronous")); // 2 = FULL
        }
        finally
        {
            foreach (var db in connections)
                await db.DisposeAsync();
        }
    }

    [Fact]
    public async Task Appends_get_increasing_uids_and_modseqs_and_leave_change_rows()
    {
        var start = (await store.GetStoreAsync(alice.Id)).ModSeq;
        var first = await store.AppendAsync(inbox.Id, Messages.Make("one"));
        var second = await store.AppendAsync(inbox.Id, Messages.Make("two"));

        Assert.Equal(1, first.Uid);
        Assert.Equal(2, second.Uid);
        Assert.True(second.ModSeq > first.ModSeq);
        Assert.Equal(inbox.UidValidity, first.UidValidity);
        var folder = await store.GetFolderAsync(inbox.Id);
        Assert.Equal(3, folder.UidNext);
        Assert.Equal(2, folder.MessageCount);
        Assert.Equal(second.ModSeq, folder.ModSeq);

        var changes = await store.GetChangesAsync(alice.Id, start);
        Assert.Equal([(first.ModSeq, 1L), (second.ModSeq, 2L)], changes.Select(c => (c.ModSeq, c.Uid!.Value)));
        Assert.All(changes, c => Assert.Equal((ChangeEntity.Item, ChangeKind.Created, inbox.Id), (c.Entity, c.Kind, c.FolderId)));
    }

    [Fact]
    public async Task Flag_changes_and_expunges_in_a_folder_another_process_deleted_are_refused_as_not_found()
    {
        var folder = await store.CreateFolderAsync(alice.Id, null, "Doomed", ContainerClass.Mail);
        var uid = (await store.AppendAsync(folder.Id, Messages.Make("one"))).Uid;
        await store.SetFlagsAsync(folder.Id, [uid], new FlagChange(FlagOperation.Add, MessageFlags.Seen, [])); // this store now knows the folder's store
        await test.CreateStore().DeleteFolderAsync(folder.Id); // another process
        var modseq = (await store.GetStoreAsync(alice.Id)).ModSeq;

        await Assert.ThrowsAsync<StoreObjectNotFoundException>(() => store.SetFlagsAsync(folder.Id, [uid], new FlagChange(FlagOperation.Add, MessageFlags.Flagged, [])));
        await Assert.ThrowsAsync<StoreObjectNotFoundException>(() => store.ExpungeAsync(folder.Id, [uid]));
        Assert.Equal(modseq, (await store.GetStoreAsync(alice.Id)).ModSeq); // rolled back: no change was logged
    }

    [Fact]
    public async Task Trace_headers_are_per_copy_over_one_shared_content_and_travel_with_copies_and_moves()
    {
        var content = Messages.Make("shared", 3000);
        var bob = await store.EnsureStoreAsync(StoreKind.Private, "bob", "en");
        var bobInbox = await store.InboxAsync(bob.Id);
        using var staged = await store.StageAsync(new MemoryStream(content));
        var forAlice = await store.AppendAsync(inbox.Id, staged, new AppendRequest { TraceHeaders = "Delivered-To: alice@example.com\r\n"u8.ToArray() });
        var forBob = await store.AppendAsync(bobInbox.Id, staged, new AppendRequest { TraceHeaders = "Delivered-To: bob@example.com\r\n"u8.ToArray() });

        var aliceItem = (await store.GetItemAsync(inbox.Id, forAlice.Uid))!;
        var bobItem = (await store.GetItemAsync(bobInbox.Id, forBob.Uid))!;
        Assert.Equal(aliceItem.BlobId, bobItem.BlobId);
        byte[] aliceCopy = [.. "Delivered-To: alice@example.com\r\n"u8, .. content], bobCopy = [.. "Delivered-To: bob@example.com\r\n"u8, .. content];
        Assert.Equal(aliceCopy, await store.ReadAllAsync(aliceItem));
        Assert.Equal(bobCopy, await store.ReadAllAsync(bobItem));
        Assert.Equal(content.Length + 33, aliceItem.Size);
        Assert.Equal(content.Length + 33, (await store.GetStoreAsync(alice.Id)).Size);

        var archive = await store.CreateFolderAsync(alice.Id, null, "Archive", ContainerClass.Mail);
        var copied = await store.CopyItemsAsync(inbox.Id, [forAlice.Uid], archive.Id);
        var copy = (await store.GetItemAsync(archive.Id, copied.Mappings[0].TargetUid))!;
        Assert.Equal(await store.ReadAllAsync(aliceItem), await store.ReadAllAsync(copy));
        var moved = await store.MoveItemsAsync(bobInbox.Id, [forBob.Uid], archive.Id);
        var movedItem = (await store.GetItemAsync(archive.Id, moved.Mappings[0].TargetUid))!;
        Assert.Equal(bobCopy, await store.ReadAllAsync(movedItem));
        Assert.Equal(aliceCopy.Length * 2 + bobCopy.Length, (await store.GetStoreAsync(alice.Id)).Size); // original, copy, moved in
        Assert.Equal(0, (await store.GetStoreAsync(bob.Id)).Size);
    }

    [Fact]
    public async Task Content_is_read_back_byte_identical_and_fields_are_kept()
    {
        var content = Messages.Make("Grüße", 5000);
        var sent = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var result = await store.AppendAsync(inbox.Id, content, new AppendRequest
        {
            Flags = MessageFlags.Seen,
            Keywords = ["$Important"],
            Fields = new ItemFields { Subject = "Grüße", From = "alice@example.com", SentAt = sent, MessageId = "<m1@example.com>" },
        });
        var item = await store.GetItemAsync(inbox.Id, result.Uid);

        Assert.NotNull(item);
        Assert.Equal(content, await store.ReadAllAsync(item));
        Assert.Equal(content.Length, item.Size);
        Assert.Equal(MessageFlags.Seen, item.Flags);
        Assert.Equal(["$Important"], item.Keywords);
        Assert.Equal("Grüße", item.Fields.Subject);
        Assert.Equal(sent, item.Fields.SentAt);
        Assert.Equal(content.Length, (await store.GetStoreAsync(alice.Id)).Size);
    }

    [Fact]
    public async Task Eight_concurrent_writers_get_unique_strictly_increasing_uids_and_modseqs()
    {
        const int writers = 8, each = 15;
        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var mine = new List<AppendResult>();
            for (var i = 0; i < each; i++)
                mine.Add(await store.AppendAsync(inbox.Id, Messages.Make($"w{w} m{i}", 100 + w)));
            return mine;
        })));
        var all = results.SelectMany(r => r).OrderBy(r => r.Uid).ToList();

        Assert.Equal(writers * each, all.Select(r => r.Uid).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, writers * each).Select(i => (long)i), all.Select(r => r.Uid));
        // uid order is commit order: modseqs rise with uids
        Assert.True(all.Zip(all.Skip(1)).All(p => p.Second.ModSeq > p.First.ModSeq));
        foreach (var writer in results)
            Assert.True(writer.Zip(writer.Skip(1)).All(p => p.Second.Uid > p.First.Uid));

        var items = await store.ListItemsAsync(inbox.Id);
        Assert.Equal(writers * each, items.Count);
        Assert.Equal(items.Sum(i => i.Size), (await store.GetStoreAsync(alice.Id)).Size);
    }

    [Fact]
    public async Task Flags_are_added_removed_and_replaced_with_a_new_modseq()
    {
        var a = await store.AppendAsync(inbox.Id, Messages.Make("a"));
        var b = await store.AppendAsync(inbox.Id, Messages.Make("b"));

        var added = await store.SetFlagsAsync(inbox.Id, [a.Uid, b.Uid], new FlagChange(FlagOperation.Add, MessageFlags.Seen | MessageFlags.Flagged, ["$Work"]));
        Assert.Equal(2, added.Changed.Count);
        Assert.All(added.Changed, i => Assert.True(i.ModSeq > b.ModSeq));

        await store.SetFlagsAsync(inbox.Id, [a.Uid], new FlagChange(FlagOperation.Remove, MessageFlags.Flagged, ["$work"]));
        var item = (await store.GetItemAsync(inbox.Id, a.Uid))!;
        Assert.Equal(MessageFlags.Seen, item.Flags);
        Assert.Empty(item.Keywords);

        await store.SetFlagsAsync(inbox.Id, [a.Uid], new FlagChange(FlagOperation.Replace, MessageFlags.Answered, ["x", "y"]));
        item = (await store.GetItemAsync(inbox.Id, a.Uid))!;
        Assert.Equal(MessageFlags.Answered, item.Flags);
        Assert.Equal(["x", "y"], item.Keywords);
    }

    [Fact]
    public async Task A_flag_change_that_changes_nothing_leaves_the_item_modseq_alone()
    {
        var a = await store.AppendAsync(inbox.Id, Messages.Make("a"), new AppendRequest { Flags = MessageFlags.Seen });
        var result = await store.SetFlagsAsync(inbox.Id, [a.Uid], new FlagChange(FlagOperation.Add, MessageFlags.Seen, []));
        Assert.Empty(result.Changed);
        Assert.Equal(a.ModSeq, (await store.GetItemAsync(inbox.Id, a.Uid))!.ModSeq);
    }

    [Fact]
    public async Task Unchanged_since_refuses_items_changed_after_it()
    {
        var a = await store.AppendAsync(inbox.Id, Messages.Make("a"));
        var b = await store.AppendAsync(inbox.Id, Messages.Make("b"));
        var result = await store.SetFlagsAsync(inbox.Id, [a.Uid, b.Uid],
            new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []) { UnchangedSince = a.ModSeq });
        Assert.Equal([a.Uid], result.Changed.Select(i => i.Uid));
        Assert.Equal([b.Uid], result.FailedUids);
    }

    [Fact]
    public async Task Copy_gets_new_uids_in_the_target_and_shares_the_blob()
    {
        var archive = await store.CreateFolderAsync(alice.Id, null, "Archive", ContainerClass.Mail);
        var content = Messages.Make("copied");
        var a = await store.AppendAsync(inbox.Id, content);

        var copy = await store.CopyItemsAsync(inbox.Id, [a.Uid], archive.Id);

        var mapping = Assert.Single(copy.Mappings);
        Assert.Equal((a.Uid, 1L), (mapping.SourceUid, mapping.TargetUid));
        Assert.Equal(archive.UidValidity, copy.TargetUidValidity);
        Assert.Single(await store.ListItemsAsync(inbox.Id));
        var copied = Assert.Single(await store.ListItemsAsync(archive.Id));
        Assert.Equal(content, await store.ReadAllAsync(copied));
        Assert.Equal(2 * content.Length, (await store.GetStoreAsync(alice.Id)).Size);
        Assert.Single(test.CreateBlobs().Files.EnumerateIds());
    }

    [Fact]
    public async Task Move_renumbers_into_the_target_and_logs_where_the_item_came_from()
    {
        var archive = await store.CreateFolderAsync(alice.Id, null, "Archive", ContainerClass.Mail);
        await store.AppendAsync(archive.Id, Messages.Make("already there"));
        var a = await store.AppendAsync(inbox.Id, Messages.Make("moved"));
        var before = (await store.GetStoreAsync(alice.Id)).ModSeq;

        var moved = await store.MoveItemsAsync(inbox.Id, [a.Uid], archive.Id);

        Assert.Equal(2, Assert.Single(moved.Mappings).TargetUid);
        Assert.Empty(await store.ListItemsAsync(inbox.Id));
        Assert.Equal(0, (await store.GetFolderAsync(inbox.Id)).MessageCount);
        Assert.Equal(2, (await store.GetFolderAsync(archive.Id)).MessageCount);
        var change = Assert.Single(await store.GetChangesAsync(alice.Id, before));
        Assert.Equal((ChangeKind.Moved, archive.Id, 2L, inbox.Id, a.Uid), (change.Kind, change.FolderId, change.Uid!.Value, change.PreviousFolderId!.Value, change.PreviousUid!.Value));
    }

    [Fact]
    public async Task Expunge_leaves_tombstones_frees_size_and_the_collector_removes_the_blob()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        store = test.CreateStore(time: time);
        var content = Messages.Make("gone");
        var a = await store.AppendAsync(inbox.Id, content);
        var before = (await store.GetStoreAsync(alice.Id)).ModSeq;

        Assert.Equal([a.Uid], await store.ExpungeAsync(inbox.Id, [a.Uid, 999]));

        Assert.Empty(await store.ListItemsAsync(inbox.Id));
        Assert.Equal(0, (await store.GetStoreAsync(alice.Id)).Size);
        var tombstone = Assert.Single(await store.GetChangesAsync(alice.Id, before));
        Assert.Equal((ChangeKind.Deleted, a.Uid), (tombstone.Kind, tombstone.Uid!.Value));

        var blobs = test.CreateBlobs(time: time);
        Assert.Equal(0, await blobs.CollectAsync(TimeSpan.FromHours(1)));
        Assert.True(blobs.Files.Exists(Messages.Id(content)));
        time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await blobs.CollectAsync(TimeSpan.FromHours(1)));
        Assert.False(blobs.Files.Exists(Messages.Id(content)));
    }

    [Fact]
    public async Task A_structure_description_is_kept_once_per_content_and_goes_with_its_blob()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        store = test.CreateStore(time: time);
        var content = Messages.Make("described");
        var other = Messages.Make("not described");
        using (var staged = await store.StageAsync(new MemoryStream(content)))
        {
            await store.AppendManyAsync(inbox.Id, [
                (staged, new AppendRequest { Structure = [1, 2, 3] }),
                (staged, new AppendRequest { Structure = [1, 2, 3] }),
            ]);
        }
        await store.AppendAsync(inbox.Id, content, new AppendRequest { Structure = [9, 9] }); // the first description stays
        await store.AppendAsync(inbox.Id, other);
        var items = await store.ListItemsAsync(inbox.Id);
        var (first, copy, described, plain) = (items[0], items[2], items.Where(i => i.Uid != 4).ToList(), items[3]);
        var id = Messages.Id(content).Value;
        Assert.Equal(Messages.Id(other).Value, plain.BlobId);

        var found = await store.GetStructuresAsync(items);
        Assert.Equal([id], found.Keys);
        Assert.Equal([1, 2, 3], found[id]);

        await store.SaveStructureAsync(copy, [4, 5]);
        await store.SaveStructureAsync(plain, [6]);
        Assert.Equal([4, 5], (await store.GetStructuresAsync([first]))[id]);
        Assert.Equal([6], (await store.GetStructuresAsync([plain]))[plain.BlobId]);

        await store.ExpungeAsync(inbox.Id, described.Select(i => i.Uid).ToList());
        time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await test.CreateBlobs(time: time).CollectAsync(TimeSpan.FromHours(1)));
        Assert.Equal([plain.BlobId], (await store.GetStructuresAsync(items)).Keys);
    }

    [Fact]
    public async Task A_blob_referenced_again_before_collection_is_kept()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        store = test.CreateStore(time: time);
        var content = Messages.Make("back again");
        var a = await store.AppendAsync(inbox.Id, content);
        await store.ExpungeAsync(inbox.Id, [a.Uid]);
        var b = await store.AppendAsync(inbox.Id, content);
        time.Advance(TimeSpan.FromHours(2));

        Assert.Equal(0, await test.CreateBlobs(time: time).CollectAsync(TimeSpan.FromHours(1)));
        Assert.Equal(content, await store.ReadAllAsync((await store.GetItemAsync(inbox.Id, b.Uid))!));
    }

    [Fact]
    public async Task One_message_delivered_to_several_stores_is_stored_once()
    {
        var bob = await store.EnsureStoreAsync(StoreKind.Private, "bob", "en");
        var bobInbox = await store.InboxAsync(bob.Id);
        var content = Messages.Make("to both");
        using (var staged = await store.StageAsync(new MemoryStream(content)))
        {
            await store.AppendAsync(inbox.Id, staged, new AppendRequest());
            await store.AppendAsync(bobInbox.Id, staged, new AppendRequest());
        }

        Assert.Single(test.CreateBlobs().Files.EnumerateIds());
        Assert.Equal(content, await store.ReadAllAsync(Assert.Single(await store.ListItemsAsync(bobInbox.Id))));
    }

    [Fact]
    public async Task Items_are_listed_by_extracted_fields_without_reading_content()
    {
        var t0 = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        await store.AppendAsync(inbox.Id, Messages.Make("a", 10), new AppendRequest { Fields = new ItemFields { Subject = "Quarterly Report", From = "Carol <carol@example.com>", SentAt = t0 } });
        await store.AppendAsync(inbox.Id, Messages.Make("b", 5000), new AppendRequest { Flags = MessageFlags.Seen, Keywords = ["$Junk"], Fields = new ItemFields { Subject = "lunch?", From = "dave@example.com", SentAt = t0.AddDays(2) } });

        Assert.Equal(["Quarterly Report"], (await store.ListItemsAsync(inbox.Id, new ItemQuery { SubjectContains = "REPORT" })).Select(i => i.Fields.Subject));
        Assert.Equal(["lunch?"], (await store.ListItemsAsync(inbox.Id, new ItemQuery { FromContains = "Dave" })).Select(i => i.Fields.Subject));
        Assert.Equal(["lunch?"], (await store.ListItemsAsync(inbox.Id, new ItemQuery { FlagsSet = MessageFlags.Seen })).Select(i => i.Fields.Subject));
        Assert.Equal(["Quarterly Report"], (await store.ListItemsAsync(inbox.Id, new ItemQuery { FlagsClear = MessageFlags.Seen })).Select(i => i.Fields.Subject));
        Assert.Equal(["lunch?"], (await store.ListItemsAsync(inbox.Id, new ItemQuery { Keyword = "$junk" })).Select(i => i.Fields.Subject));
        Assert.Equal(["lunch?"], (await store.ListItemsAsync(inbox.Id, new ItemQuery { SentSince = t0.AddDays(1) })).Select(i => i.Fields.Subject));
        Assert.Equal(["lunch?"], (await store.ListItemsAsync(inbox.Id, new ItemQuery { LargerThan = 1000 })).Select(i => i.Fields.Subject));
        Assert.Equal(2, (await store.ListItemsAsync(inbox.Id, new ItemQuery { UidFrom = 1, UidTo = 2 })).Count);
    }

    [Fact]
    public async Task A_folder_keeps_every_keyword_its_messages_carried_and_logs_a_change_when_one_is_new()
    {
        var a = await store.AppendAsync(inbox.Id, Messages.Make("a"), new AppendRequest { Keywords = ["$Junk"] });
        Assert.Equal(["$Junk"], await store.ListKeywordsAsync(inbox.Id));

        var before = (await store.GetStoreAsync(alice.Id)).ModSeq;
        await store.SetFlagsAsync(inbox.Id, [a.Uid], new FlagChange(FlagOperation.Add, MessageFlags.None, ["$Work", "$Junk"]));
        await store.SetFlagsAsync(inbox.Id, [a.Uid], new FlagChange(FlagOperation.Replace, MessageFlags.Seen, []));
        Assert.Equal(["$Junk", "$Work"], (await store.ListKeywordsAsync(inbox.Id)).Order());
        // one folder change, for the write that brought a keyword new to the folder
        var changes = await store.GetChangesAsync(alice.Id, before);
        var folderChange = Assert.Single(changes, c => c.Entity == ChangeEntity.Folder);
        Assert.Equal((ChangeKind.Changed, inbox.Id, before + 1), (folderChange.Kind, folderChange.ObjectId, folderChange.ModSeq));

        // removing or naming a keyword on no message adds nothing; a keyword too long for the list stays on its message
        await store.SetFlagsAsync(inbox.Id, [a.Uid], new FlagChange(FlagOperation.Remove, MessageFlags.None, ["$Other"]));
        await store.SetFlagsAsync(inbox.Id, [999], new FlagChange(FlagOperation.Add, MessageFlags.None, ["$Nowhere"]));
        var longKeyword = "$" + new string('k', 300);
        await store.SetFlagsAsync(inbox.Id, [a.Uid], new FlagChange(FlagOperation.Add, MessageFlags.None, [longKeyword]));
        Assert.Equal(["$Junk", "$Work"], (await store.ListKeywordsAsync(inbox.Id)).Order());
        Assert.Contains(longKeyword, (await store.GetItemAsync(inbox.Id, a.Uid))!.Keywords);

        // copies and moves bring their keywords along; a deleted folder's list goes with it
        var archive = await store.CreateFolderAsync(alice.Id, null, "Archive", ContainerClass.Mail);
        var other = await store.CreateFolderAsync(alice.Id, null, "Other", ContainerClass.Mail);
        var b = await store.AppendAsync(inbox.Id, Messages.Make("b"), new AppendRequest { Keywords = ["$Moved"] });
        await store.SetFlagsAsync(inbox.Id, [a.Uid], new FlagChange(FlagOperation.Add, MessageFlags.None, ["$Copied"]));
        await store.CopyItemsAsync(inbox.Id, [a.Uid], archive.Id);
        await store.MoveItemsAsync(inbox.Id, [b.Uid], other.Id);
        Assert.Equal(["$Copied"], await store.ListKeywordsAsync(archive.Id));
        Assert.Equal(["$Moved"], await store.ListKeywordsAsync(other.Id));
        await store.DeleteFolderAsync(other.Id);
        Assert.Empty(await store.ListKeywordsAsync(other.Id));
    }

    [Fact]
    public async Task Items_are_counted_by_the_same_filters_and_listed_without_their_fields_when_asked()
    {
        var sent = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var content = Messages.Make("a", 10);
        var first = await store.AppendAsync(inbox.Id, content, new AppendRequest { Fields = new ItemFields { Subject = "Quarterly Report", From = "carol@example.com", SentAt = sent }, TraceHeaders = "Received: from mx by rookery\r\n"u8.ToArray() });
        await store.AppendAsync(inbox.Id, Messages.Make("b", 20), new AppendRequest { Flags = MessageFlags.Seen | MessageFlags.Deleted, Keywords = ["$Junk"] });
        await store.AppendAsync(inbox.Id, Messages.Make("c", 30), new AppendRequest { Flags = MessageFlags.Seen });

        Assert.Equal(1, await store.CountItemsAsync(inbox.Id, new ItemQuery { FlagsClear = MessageFlags.Seen }));
        Assert.Equal(1, await store.CountItemsAsync(inbox.Id, new ItemQuery { FlagsSet = MessageFlags.Deleted }));
        Assert.Equal(2, await store.CountItemsAsync(inbox.Id, new ItemQuery { UidFrom = first.Uid + 1 }));
        Assert.Equal(1, await store.CountItemsAsync(inbox.Id, new ItemQuery { SubjectContains = "report" }));
        Assert.Equal(0, await store.CountItemsAsync(inbox.Id, new ItemQuery { Keyword = "$Work" }));
        Assert.Equal(3, await store.CountItemsAsync(inbox.Id, new ItemQuery()));

        var full = Assert.Single(await store.ListItemsAsync(inbox.Id, new ItemQuery { UidTo = first.Uid }));
        var bare = Assert.Single(await store.ListItemsAsync(inbox.Id, new ItemQuery { UidTo = first.Uid, WithFields = false }));
        Assert.Equal("Quarterly Report", full.Fields.Subject);
        Assert.Equal(new ItemFields(), bare.Fields);
        // everything else is there: what a FETCH of sizes, dates and content needs
        Assert.Equal((full.Id, full.Uid, full.ModSeq, full.BlobId, full.Size, full.Flags, full.ReceivedAt), (bare.Id, bare.Uid, bare.ModSeq, bare.BlobId, bare.Size, bare.Flags, bare.ReceivedAt));
        Assert.Equal(full.TraceHeaders.ToArray(), bare.TraceHeaders.ToArray());
        Assert.False(bare.TraceHeaders.IsEmpty);
        Assert.Equal(await store.ReadAllAsync(full), await store.ReadAllAsync(bare));
    }

    [Fact]
    public async Task Subscribers_hear_about_commits_to_their_store()
    {
        using var subscription = store.Notifier.Subscribe(alice.Id);
        var result = await store.AppendAsync(inbox.Id, Messages.Make("ping"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var change = await subscription.Reader.ReadAsync(timeout.Token);
        Assert.Equal(new StoreChanged(alice.Id, result.ModSeq), change);
    }
}

sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    DateTimeOffset now = start;
    public override DateTimeOffset GetUtcNow() => now;
    public void Advance(TimeSpan by) => now += by;
}
