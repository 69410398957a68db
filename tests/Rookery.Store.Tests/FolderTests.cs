namespace Rookery.Store.Tests;

public sealed class FolderTests : IAsyncLifetime
{
    TestDatabase test = null!;
    IMailStore store = null!;
    StoreInfo alice = null!;

    public async Task InitializeAsync()
    {
        test = await TestDatabase.CreateAsync();
        store = test.CreateStore();
        alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en_US.UTF-8");
    }

    public async Task DisposeAsync() => await test.DisposeAsync();

    [Theory]
    [InlineData("en_US.UTF-8", "Inbox", "Sent Items", "Junk E-mail")]
    [InlineData("nl_NL.UTF-8", "Postvak IN", "Verzonden items", "Ongewenste e-mail")]
    [InlineData("de_DE.UTF-8", "Posteingang", "Gesendete Elemente", "Junk-E-Mail")]
    [InlineData("fr_FR.UTF-8", "Boîte de réception", "Éléments envoyés", "Courrier indésirable")]
    public async Task Default_folders_are_named_in_the_store_locale(string locale, string inbox, string sent, string junk)
    {
        var info = await store.EnsureStoreAsync(StoreKind.Private, "user-" + locale, locale);
        var folders = await store.ListFoldersAsync(info.Id);

        Assert.Equal(inbox, folders.Single(f => f.SpecialUse == SpecialUse.Inbox).Name);
        Assert.Equal(sent, folders.Single(f => f.SpecialUse == SpecialUse.SentItems).Name);
        Assert.Equal(junk, folders.Single(f => f.SpecialUse == SpecialUse.Junk).Name);
        Assert.Equal(ContainerClass.Calendar, folders.Single(f => f.SpecialUse == SpecialUse.Calendar).ContainerClass);
        Assert.Equal(12, folders.Count);
        Assert.All(folders, f => Assert.Null(f.ParentId));
    }

    [Fact]
    public async Task Ensuring_a_store_twice_returns_the_same_store_without_new_folders()
    {
        var again = await store.EnsureStoreAsync(StoreKind.Private, "alice", "nl_NL.UTF-8");
        Assert.Equal(alice.Id, again.Id);
        Assert.Equal(12, (await store.ListFoldersAsync(alice.Id)).Count);
    }

    [Fact]
    public async Task Concurrent_first_logins_create_one_store()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => store.EnsureStoreAsync(StoreKind.Private, "bob", "en"))));
        Assert.Single(results.Select(r => r.Id).Distinct());
        Assert.Equal(12, (await store.ListFoldersAsync(results[0].Id)).Count);
    }

    [Fact]
    public async Task Folders_can_be_created_renamed_moved_and_deleted_with_tombstones()
    {
        var projects = await store.CreateFolderAsync(alice.Id, null, "Projects", ContainerClass.Mail);
        var rookery = await store.CreateFolderAsync(alice.Id, projects.Id, "Rookery", ContainerClass.Mail);
        Assert.Equal(projects.Id, rookery.ParentId);

        var renamed = await store.RenameFolderAsync(rookery.Id, "Rookery 2");
        Assert.Equal("Rookery 2", renamed.Name);
        Assert.True(renamed.ModSeq > rookery.ModSeq);

        var moved = await store.MoveFolderAsync(rookery.Id, null);
        Assert.Null(moved.ParentId);

        var before = (await store.GetStoreAsync(alice.Id)).ModSeq;
        await store.DeleteFolderAsync(moved.Id);
        Assert.DoesNotContain(await store.ListFoldersAsync(alice.Id), f => f.Id == moved.Id);
        var changes = await store.GetChangesAsync(alice.Id, before);
        var tombstone = Assert.Single(changes);
        Assert.Equal((ChangeEntity.Folder, ChangeKind.Deleted, moved.Id), (tombstone.Entity, tombstone.Kind, tombstone.ObjectId));
    }

    [Fact]
    public async Task Sibling_names_are_unique_ignoring_case()
    {
        await store.CreateFolderAsync(alice.Id, null, "Lists", ContainerClass.Mail);
        await Assert.ThrowsAsync<FolderOperationException>(() => store.CreateFolderAsync(alice.Id, null, "LISTS", ContainerClass.Mail));
        await Assert.ThrowsAsync<FolderOperationException>(() => store.CreateFolderAsync(alice.Id, null, "inbox", ContainerClass.Mail));
    }

    [Fact]
    public async Task Default_folders_cannot_be_deleted_or_moved()
    {
        var inbox = await store.InboxAsync(alice.Id);
        var other = await store.CreateFolderAsync(alice.Id, null, "Other", ContainerClass.Mail);
        await Assert.ThrowsAsync<FolderOperationException>(() => store.DeleteFolderAsync(inbox.Id));
        await Assert.ThrowsAsync<FolderOperationException>(() => store.MoveFolderAsync(inbox.Id, other.Id));
        Assert.Contains(await store.ListFoldersAsync(alice.Id), f => f.Id == inbox.Id);
    }

    [Fact]
    public async Task A_folder_cannot_move_into_its_own_sub_folder()
    {
        var a = await store.CreateFolderAsync(alice.Id, null, "A", ContainerClass.Mail);
        var b = await store.CreateFolderAsync(alice.Id, a.Id, "B", ContainerClass.Mail);
        await Assert.ThrowsAsync<FolderOperationException>(() => store.MoveFolderAsync(a.Id, b.Id));
        await Assert.ThrowsAsync<FolderOperationException>(() => store.MoveFolderAsync(a.Id, a.Id));
    }

    [Fact]
    public async Task Deleting_a_folder_deletes_its_sub_folders_items_and_frees_their_size()
    {
        var a = await store.CreateFolderAsync(alice.Id, null, "A", ContainerClass.Mail);
        var b = await store.CreateFolderAsync(alice.Id, a.Id, "B", ContainerClass.Mail);
        await store.AppendAsync(a.Id, Messages.Make("one"));
        await store.AppendAsync(b.Id, Messages.Make("two"));
        Assert.True((await store.GetStoreAsync(alice.Id)).Size > 0);

        await store.DeleteFolderAsync(a.Id);

        var folders = await store.ListFoldersAsync(alice.Id);
        Assert.DoesNotContain(folders, f => f.Id == a.Id || f.Id == b.Id);
        Assert.Equal(0, (await store.GetStoreAsync(alice.Id)).Size);
    }

    [Fact]
    public async Task New_folders_get_a_uidvalidity_no_other_folder_of_the_store_had()
    {
        var first = await store.CreateFolderAsync(alice.Id, null, "Reused", ContainerClass.Mail);
        await store.DeleteFolderAsync(first.Id);
        var second = await store.CreateFolderAsync(alice.Id, null, "Reused", ContainerClass.Mail);
        Assert.NotEqual(first.UidValidity, second.UidValidity);
    }
}
