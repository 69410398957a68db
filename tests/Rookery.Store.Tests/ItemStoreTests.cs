using System.Text;
using LinqToDB.Data;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

/// <summary>Items of every kind by resource name: ETag preconditions, names, kinds, the per-folder change log and its pruning.</summary>
public sealed class ItemStoreTests : IAsyncLifetime
{
    readonly ManualClock clock = new(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
    TestDatabase test = null!;
    SqlMailStore store = null!;
    StoreInfo alice = null!;
    FolderInfo calendar = null!, contacts = null!, inbox = null!;

    public async Task InitializeAsync()
    {
        test = await TestDatabase.CreateAsync();
        store = test.CreateStore(time: clock);
        alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var folders = await store.ListFoldersAsync(alice.Id);
        calendar = folders.Single(f => f.SpecialUse == SpecialUse.Calendar);
        contacts = folders.Single(f => f.SpecialUse == SpecialUse.Contacts);
        inbox = folders.Single(f => f.SpecialUse == SpecialUse.Inbox);
    }

    public async Task DisposeAsync() => await test.DisposeAsync();

    static string Event(string uid, string summary) =>
        $"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260105T090000Z\r\nDTSTART:20260110T100000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    async Task<ItemWrite> PutAsync(FolderInfo folder, string? name, string text, WriteCondition? condition = null, ItemKind kind = ItemKind.Event)
    {
        using var staged = await store.StageAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        return await store.PutItemAsync(folder.Id, name, new ItemContent(kind, staged), condition ?? WriteCondition.None);
    }

    async Task<string> ReadAsync(StoredItem item)
    {
        await using var stream = await store.OpenItemContentAsync(item);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task An_item_is_created_found_by_its_name_and_read_back()
    {
        var write = await PutAsync(calendar, "meeting.ics", Event("u1", "Planning"), WriteCondition.Absent);

        Assert.Equal(ItemWriteOutcome.Created, write.Outcome);
        var item = write.Item!;
        Assert.Equal(("meeting.ics", ItemKind.Event, "text/calendar"), (item.ResourceName, item.Kind, item.ContentType));
        Assert.Equal(item, await store.FindItemAsync(calendar.Id, "meeting.ics"));
        Assert.Null(await store.FindItemAsync(calendar.Id, "MEETING.ics")); // names are case-sensitive
        Assert.Null(await store.FindItemAsync(contacts.Id, "meeting.ics"));
        Assert.Equal(Event("u1", "Planning"), await ReadAsync(item));
        Assert.Equal([item], await store.ListFolderItemsAsync(calendar.Id));

        var folder = await store.GetFolderAsync(calendar.Id);
        Assert.Equal((1, item.Size), (folder.MessageCount, folder.Size));
        Assert.Equal(item.Size, (await store.GetStoreAsync(alice.Id)).Size);
    }

    [Fact]
    public async Task Replacing_keeps_the_id_and_gives_a_new_etag_and_if_none_match_star_never_overwrites()
    {
        var first = (await PutAsync(calendar, "e.ics", Event("u1", "one"))).Item!;

        var refused = await PutAsync(calendar, "e.ics", Event("u1", "two"), WriteCondition.Absent);
        Assert.Equal(ItemWriteOutcome.PreconditionFailed, refused.Outcome);
        Assert.Equal(first, refused.Item);
        Assert.Equal(Event("u1", "one"), await ReadAsync((await store.FindItemAsync(calendar.Id, "e.ics"))!));

        var replaced = await PutAsync(calendar, "e.ics", Event("u1", "a longer summary"), WriteCondition.Unchanged(first.ETag));
        Assert.Equal(ItemWriteOutcome.Replaced, replaced.Outcome);
        var second = replaced.Item!;
        Assert.Equal((first.Id, first.Uid, "e.ics"), (second.Id, second.Uid, second.ResourceName));
        Assert.True(second.ModSeq > first.ModSeq);
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal(second, await store.FindItemAsync(calendar.Id, "e.ics"));
        Assert.Equal(Event("u1", "a longer summary"), await ReadAsync(second));
        Assert.Equal(second.Size, (await store.GetFolderAsync(calendar.Id)).Size);
        Assert.Equal(second.Size, (await store.GetStoreAsync(alice.Id)).Size);
        Assert.Single(await store.ListFolderItemsAsync(calendar.Id));
    }

    [Fact]
    public async Task If_match_holds_only_for_the_current_strong_etag_of_an_existing_item()
    {
        var first = (await PutAsync(calendar, "e.ics", Event("u1", "one"))).Item!;
        var second = (await PutAsync(calendar, "e.ics", Event("u1", "two"))).Item!;

        Assert.Equal(ItemWriteOutcome.PreconditionFailed, (await PutAsync(calendar, "e.ics", Event("u1", "x"), WriteCondition.Unchanged(first.ETag))).Outcome);
        Assert.Equal(ItemWriteOutcome.PreconditionFailed,
            (await PutAsync(calendar, "e.ics", Event("u1", "x"), new WriteCondition { IfMatch = ["W/" + second.ETag] })).Outcome);
        Assert.Equal(ItemWriteOutcome.PreconditionFailed, (await PutAsync(calendar, "new.ics", Event("u2", "x"), WriteCondition.Exists)).Outcome);
        Assert.Null(await store.FindItemAsync(calendar.Id, "new.ics"));
        Assert.Equal(ItemWriteOutcome.PreconditionFailed,
            (await PutAsync(calendar, "e.ics", Event("u1", "x"), new WriteCondition { IfNoneMatch = ["W/" + second.ETag] })).Outcome);

        Assert.Equal(ItemWriteOutcome.Replaced, (await PutAsync(calendar, "e.ics", Event("u1", "three"), new WriteCondition { IfMatch = [first.ETag, second.ETag] })).Outcome);
        Assert.Equal(ItemWriteOutcome.Replaced, (await PutAsync(calendar, "e.ics", Event("u1", "four"), WriteCondition.Exists)).Outcome);
        Assert.Equal(ItemWriteOutcome.Replaced, (await PutAsync(calendar, "e.ics", Event("u1", "five"), new WriteCondition { IfNoneMatch = [first.ETag] })).Outcome);
        Assert.Equal(Event("u1", "five"), await ReadAsync((await store.FindItemAsync(calendar.Id, "e.ics"))!));
    }

    [Fact]
    public async Task Delete_checks_its_precondition_and_leaves_a_named_tombstone()
    {
        var item = (await PutAsync(contacts, "bob.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:b1\r\nFN:Bob\r\nEND:VCARD\r\n", kind: ItemKind.Contact)).Item!;
        var after = (await store.GetStoreAsync(alice.Id)).ModSeq;

        Assert.Equal(ItemWriteOutcome.PreconditionFailed, (await store.DeleteItemAsync(contacts.Id, "bob.vcf", WriteCondition.Unchanged("\"1-1\""))).Outcome);
        var deleted = await store.DeleteItemAsync(contacts.Id, "bob.vcf", WriteCondition.Unchanged(item.ETag));
        Assert.Equal((ItemWriteOutcome.Deleted, item), (deleted.Outcome, deleted.Item));
        Assert.Null(await store.FindItemAsync(contacts.Id, "bob.vcf"));
        Assert.Equal(ItemWriteOutcome.NotFound, (await store.DeleteItemAsync(contacts.Id, "bob.vcf", WriteCondition.None)).Outcome);
        Assert.Equal(ItemWriteOutcome.PreconditionFailed, (await store.DeleteItemAsync(contacts.Id, "bob.vcf", WriteCondition.Exists)).Outcome);
        Assert.Equal((0, 0), ((await store.GetFolderAsync(contacts.Id)).MessageCount, (await store.GetStoreAsync(alice.Id)).Size));

        var changes = await store.GetFolderChangesAsync(contacts.Id, after);
        var tombstone = Assert.Single(changes.Changes);
        Assert.Equal((ChangeKind.Deleted, ItemKind.Contact, "bob.vcf", item.Id), (tombstone.Kind, tombstone.ItemKind, tombstone.ResourceName, tombstone.ObjectId));
        Assert.True(tombstone.Removes(contacts.Id));
        Assert.False(changes.Expired);
        Assert.Equal((await store.GetStoreAsync(alice.Id)).ModSeq, changes.Position);
    }

    [Fact]
    public async Task Names_are_unique_per_folder_and_checked()
    {
        var other = await store.CreateFolderAsync(alice.Id, null, "Work", ContainerClass.Calendar);
        await PutAsync(calendar, "same.ics", Event("u1", "a"));
        await PutAsync(other, "same.ics", Event("u2", "b"));
        Assert.Equal(2, (await store.ListFolderItemsAsync(calendar.Id)).Count + (await store.ListFolderItemsAsync(other.Id)).Count);

        foreach (var bad in new[] { "", "a/b.ics", "a\\b", "..", ".", "tab\there", "12.eml", new string('x', 256) })
            await Assert.ThrowsAsync<ItemNameException>(() => PutAsync(calendar, bad, Event("u3", "c")));
        Assert.Single(await store.ListFolderItemsAsync(calendar.Id));
        // a name of the generated form addresses an item; it never creates one
        await Assert.ThrowsAsync<ItemNameException>(() => PutAsync(calendar, "999.eml", Event("u3", "c")));
    }

    [Fact]
    public async Task A_folder_holds_only_its_kinds_and_an_item_keeps_its_kind()
    {
        await Assert.ThrowsAsync<ItemKindException>(() => PutAsync(inbox, "e.ics", Event("u1", "a")));
        await Assert.ThrowsAsync<ItemKindException>(() => PutAsync(contacts, "e.ics", Event("u1", "a")));
        var task = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20260105T090000Z\r\nSUMMARY:a task\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
        await PutAsync(calendar, "t.ics", task, kind: ItemKind.Task); // a calendar collection holds tasks too
        await Assert.ThrowsAsync<ItemKindException>(() => PutAsync(calendar, "t.ics", Event("t1", "now an event")));
        Assert.Equal(ItemKind.Task, (await store.FindItemAsync(calendar.Id, "t.ics"))!.Kind);
    }

    [Fact]
    public async Task Mail_has_generated_names_and_a_replaced_message_gets_a_new_uid()
    {
        var appended = await store.AppendAsync(inbox.Id, Messages.Make("hello"));
        var name = Items.GeneratedName(appended.ItemId);
        var mail = await store.FindItemAsync(inbox.Id, name);
        Assert.Equal((ItemKind.Mail, "message/rfc822", appended.Uid), (mail!.Kind, mail.ContentType, mail.Uid));
        var before = (await store.GetStoreAsync(alice.Id)).ModSeq;

        var replaced = await PutAsync(inbox, name, Encoding.UTF8.GetString(Messages.Make("hello again")), WriteCondition.Unchanged(mail.ETag), ItemKind.Mail);
        Assert.Equal(ItemWriteOutcome.Replaced, replaced.Outcome);
        Assert.Equal((mail.Id, name), (replaced.Item!.Id, replaced.Item.ResourceName));
        Assert.True(replaced.Item.Uid > mail.Uid);

        // IMAP sees the old UID expunged and a new message, as it must: a message never changes under its UID
        Assert.Null(await store.GetItemAsync(inbox.Id, mail.Uid));
        var now = await store.GetItemAsync(inbox.Id, replaced.Item.Uid);
        Assert.Contains("hello again", Encoding.UTF8.GetString(await store.ReadAllAsync(now!)));
        var changes = await store.GetChangesAsync(alice.Id, before);
        Assert.Equal([(ChangeKind.Deleted, (long?)mail.Uid, name), (ChangeKind.Created, replaced.Item.Uid, name)],
            changes.Select(c => (c.Kind, c.Uid, c.ResourceName)));
        var folder = await store.GetFolderAsync(inbox.Id);
        Assert.Equal((1, replaced.Item.Size), (folder.MessageCount, folder.Size));
    }

    [Fact]
    public async Task A_folder_reads_what_is_there_now_and_what_left_it_and_pages_at_whole_modseqs()
    {
        var archive = await store.CreateFolderAsync(alice.Id, null, "Archive", ContainerClass.Mail);
        var old = await store.AppendAsync(inbox.Id, Messages.Make("old"));
        var start = (await store.GetStoreAsync(alice.Id)).ModSeq;
        using (var a = await store.StageAsync(new MemoryStream(Messages.Make("a"))))
        using (var b = await store.StageAsync(new MemoryStream(Messages.Make("b"))))
        using (var c = await store.StageAsync(new MemoryStream(Messages.Make("c"))))
            await store.AppendManyAsync(inbox.Id, [(a, new AppendRequest()), (b, new AppendRequest()), (c, new AppendRequest())]);
        await PutAsync(calendar, "elsewhere.ics", Event("u1", "not in the inbox"));
        await store.SetFlagsAsync(inbox.Id, [old.Uid, old.Uid + 2], new FlagChange(FlagOperation.Add, MessageFlags.Seen, []));
        await store.SetFlagsAsync(inbox.Id, [old.Uid + 2], new FlagChange(FlagOperation.Add, MessageFlags.Flagged, []));
        var moved = await store.MoveItemsAsync(inbox.Id, [old.Uid + 1], archive.Id);

        // one row per item as it is now — new since the position, or changed — and one per item that left
        var all = await store.GetFolderChangesAsync(inbox.Id, start);
        Assert.Equal(
        [
            (ChangeKind.Created, (long?)old.Uid + 3),
            (ChangeKind.Changed, old.Uid),
            (ChangeKind.Created, old.Uid + 2),
            (ChangeKind.Moved, null),
        ], all.Changes.Select(c => (c.Kind, c.Kind == ChangeKind.Moved ? null : c.Uid)));
        var left = all.Changes[^1];
        Assert.True(left.Removes(inbox.Id));
        Assert.Equal((old.Uid + 1, Items.GeneratedName(left.ObjectId)), (left.PreviousUid, left.ResourceName));
        Assert.All(all.Changes.Take(3), c => Assert.False(c.Removes(inbox.Id)));
        Assert.False(all.More);
        Assert.Equal((await store.GetStoreAsync(alice.Id)).ModSeq, all.Position);
        var intoArchive = Assert.Single((await store.GetFolderChangesAsync(archive.Id, start)).Changes);
        Assert.Equal((ChangeKind.Created, (long?)moved.Mappings[0].TargetUid, left.ObjectId), (intoArchive.Kind, intoArchive.Uid, intoArchive.ObjectId));

        // a limit inside a transaction's rows still returns them whole: the multi-append left two items as they were
        var appended = await store.GetFolderChangesAsync(inbox.Id, start, limit: 1);
        Assert.Equal([old.Uid + 3], appended.Changes.Select(c => c.Uid!.Value));
        Assert.True(appended.More);
        var rest = await store.GetFolderChangesAsync(inbox.Id, appended.Position, limit: 10);
        Assert.Equal([ChangeKind.Changed, ChangeKind.Changed, ChangeKind.Moved], rest.Changes.Select(c => c.Kind)); // arrived before that position
        Assert.False(rest.More);
        Assert.Empty((await store.GetFolderChangesAsync(inbox.Id, rest.Position)).Changes);
    }

    [Fact]
    public async Task A_position_past_the_pruned_horizon_is_reported_expired()
    {
        var start = (await store.GetStoreAsync(alice.Id)).ModSeq;
        var old = (await PutAsync(calendar, "old.ics", Event("u1", "old"))).Item!;
        await store.DeleteItemAsync(calendar.Id, "old.ics", WriteCondition.None);
        var afterOld = (await store.GetStoreAsync(alice.Id)).ModSeq;
        clock.Advance(TimeSpan.FromDays(100));
        var recent = (await PutAsync(calendar, "new.ics", Event("u2", "new"))).Item!;

        var pruned = await store.PruneChangesAsync(clock.GetUtcNow().AddDays(-90));
        Assert.True(pruned >= 2, $"pruned {pruned}");

        var expired = await store.GetFolderChangesAsync(calendar.Id, start);
        Assert.True(expired.Expired);
        Assert.Empty(expired.Changes);
        var kept = await store.GetFolderChangesAsync(calendar.Id, afterOld);
        Assert.False(kept.Expired);
        var created = Assert.Single(kept.Changes);
        Assert.Equal(("new.ics", recent.Id), (created.ResourceName, created.ObjectId));
        Assert.DoesNotContain(await store.GetChangesAsync(alice.Id, 0), c => c.ObjectId == old.Id);

        // pruning again finds nothing older, and moves nothing back
        Assert.Equal(0, await store.PruneChangesAsync(clock.GetUtcNow().AddDays(-90)));
        Assert.True((await store.GetFolderChangesAsync(calendar.Id, start)).Expired);
    }

    [Fact]
    public async Task Every_store_has_a_files_folder_and_one_made_before_gets_it_when_next_opened()
    {
        var files = (await store.ListFoldersAsync(alice.Id)).Single(f => f.SpecialUse == SpecialUse.Files);
        Assert.Equal(("Files", ContainerClass.Files), (files.Name, files.ContainerClass));
        var dutch = await store.EnsureStoreAsync(StoreKind.Private, "anna", "nl_NL.UTF-8");
        Assert.Equal("Bestanden", (await store.ListFoldersAsync(dutch.Id)).Single(f => f.SpecialUse == SpecialUse.Files).Name);

        // a store from before Files, whose owner made a folder of that name herself
        await using (var db = await test.Database.OpenAsync())
        {
            await db.ExecuteAsync("DELETE FROM folders WHERE id = " + files.Id);
            await db.ExecuteAsync("UPDATE stores SET defaults_version = 1 WHERE id = " + alice.Id);
        }
        var own = await store.CreateFolderAsync(alice.Id, null, "Files", ContainerClass.Mail);
        var before = (await store.GetStoreAsync(alice.Id)).ModSeq;

        var reopened = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var folders = await store.ListFoldersAsync(alice.Id);
        var added = folders.Single(f => f.SpecialUse == SpecialUse.Files);
        Assert.Equal(("Files (2)", ContainerClass.Files), (added.Name, added.ContainerClass));
        Assert.Contains(folders, f => f.Id == own.Id && f.Name == "Files");
        Assert.Contains(await store.GetChangesAsync(alice.Id, before), c => c.Entity == ChangeEntity.Folder && c.Kind == ChangeKind.Created && c.ObjectId == added.Id);
        Assert.True(reopened.ModSeq > before);
        // once is enough
        await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        Assert.Single(await store.ListFoldersAsync(alice.Id), f => f.SpecialUse == SpecialUse.Files);
    }

    [Fact]
    public async Task Content_past_the_hard_quota_is_refused_and_nothing_is_stored()
    {
        var limited = test.CreateStore(new QuotaLimits(0, 0, 300), time: clock);
        using var staged = await limited.StageAsync(new MemoryStream(Encoding.UTF8.GetBytes(Event("u1", new string('x', 400)))));
        await Assert.ThrowsAsync<QuotaExceededException>(() => limited.PutItemAsync(calendar.Id, "big.ics", new ItemContent(ItemKind.Event, staged), WriteCondition.None));
        Assert.Empty(await limited.ListFolderItemsAsync(calendar.Id));
        Assert.Equal(0, (await limited.GetStoreAsync(alice.Id)).Size);
    }
}

/// <summary>A clock the test moves by hand.</summary>
sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
