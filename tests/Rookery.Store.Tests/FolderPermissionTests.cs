using Rookery.Directory;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

public sealed class FolderPermissionTests : IAsyncLifetime
{
    static readonly UserAccount Bob = new() { Id = 1, Login = "bob", Source = "db" };
    static readonly UserAccount Alice = new() { Id = 2, Login = "alice", Source = "db", Groups = ["Sales"] };
    static readonly UserAccount Carol = new() { Id = 3, Login = "carol", Source = "db" };
    static readonly UserAccount Admin = new() { Id = 4, Login = "root", Source = "db", IsAdmin = true };

    TestDatabase test = null!;
    IMailStore store = null!;
    SqlFolderGrants grants = null!;
    FolderAccess access = null!;
    StoreInfo bobs = null!;
    FolderInfo shared = null!;

    public async Task InitializeAsync()
    {
        test = await TestDatabase.CreateAsync();
        store = test.CreateStore();
        grants = new SqlFolderGrants(test.Database);
        access = new FolderAccess(store, grants, FolderRoles.Contributor | FolderRights.ReadItems);
        bobs = await store.EnsureStoreAsync(StoreKind.Private, Bob.StoreOwner, "en");
        shared = await store.CreateFolderAsync(bobs.Id, null, "Shared", ContainerClass.Mail);
    }

    public async Task DisposeAsync() => await test.DisposeAsync();

    [Fact]
    public async Task The_store_owner_has_every_right_and_others_none_without_a_grant()
    {
        Assert.Equal(FolderRights.All, await access.RightsAsync(Bob, shared));
        Assert.Equal(FolderRights.None, await access.RightsAsync(Alice, shared));
        Assert.Empty(await access.SharedStoresAsync(Alice));
        await Assert.ThrowsAsync<AccessDeniedException>(() => access.DemandAsync(Alice, shared, FolderAction.Read));
    }

    [Fact]
    public async Task A_grant_is_kept_replaced_and_removed_on_every_engine()
    {
        await access.SetAsync(Bob, shared, Grantee.User(Alice), FolderRoles.Reviewer);
        Assert.Equal(FolderRoles.Reviewer, await access.RightsAsync(Alice, shared));
        Assert.Equal([bobs.Id], (await access.SharedStoresAsync(Alice)).Select(s => s.Id));
        await access.DemandAsync(Alice, shared, FolderAction.Read);
        await Assert.ThrowsAsync<AccessDeniedException>(() => access.DemandAsync(Alice, shared, FolderAction.Insert));

        await access.SetAsync(null, shared, Grantee.User(Alice), FolderRoles.Editor);
        var grant = Assert.Single(await grants.ListAsync(shared.Id));
        Assert.Equal((bobs.Id, shared.Id, Grantee.User(Alice), FolderRoles.Editor), (grant.StoreId, grant.FolderId, grant.Grantee, grant.Rights));

        Assert.True(await access.RemoveAsync(Bob, shared, Grantee.User(Alice)));
        Assert.False(await access.RemoveAsync(Bob, shared, Grantee.User(Alice)));
        Assert.Equal(FolderRights.None, await access.RightsAsync(Alice, shared));
    }

    [Fact]
    public async Task The_most_specific_grant_applies_user_then_groups_then_anyone()
    {
        await grants.SetAsync(shared.Id, Grantee.Anyone, FolderRoles.Reviewer);
        await grants.SetAsync(shared.Id, Grantee.Group("sales"), FolderRoles.Author);
        Assert.Equal(FolderRoles.Reviewer, await access.RightsAsync(Carol, shared));
        Assert.Equal(FolderRoles.Author, await access.RightsAsync(Alice, shared));
        Assert.Equal([bobs.Id], (await access.SharedStoresAsync(Carol)).Select(s => s.Id));

        await grants.SetAsync(shared.Id, Grantee.User(Alice), FolderRights.FolderVisible);
        Assert.Equal(FolderRights.FolderVisible, await access.RightsAsync(Alice, shared));
    }

    [Fact]
    public async Task Only_a_folder_owner_changes_permissions_and_the_store_owner_keeps_all_rights()
    {
        await Assert.ThrowsAsync<AccessDeniedException>(() => access.SetAsync(Alice, shared, Grantee.User(Carol), FolderRoles.Owner));
        await access.SetAsync(Bob, shared, Grantee.User(Alice), FolderRoles.Owner);
        await access.SetAsync(Alice, shared, Grantee.User(Carol), FolderRoles.Reviewer);
        Assert.Equal(FolderRoles.Reviewer, await access.RightsAsync(Carol, shared));
        await Assert.ThrowsAsync<FolderOperationException>(() => access.SetAsync(Alice, shared, Grantee.User(Bob), FolderRights.None));
    }

    [Fact]
    public async Task New_sub_folders_inherit_and_deleted_folders_drop_their_grants()
    {
        await grants.SetAsync(shared.Id, Grantee.User(Alice), FolderRoles.Author);
        var child = await store.CreateFolderAsync(bobs.Id, shared.Id, "Child", ContainerClass.Mail);
        Assert.Equal(FolderRoles.Author, await access.RightsAsync(Alice, child));

        await store.DeleteFolderAsync(shared.Id);
        Assert.Empty(await grants.ListForStoreAsync(bobs.Id));
        Assert.Empty(await access.SharedStoresAsync(Alice));
    }

    [Fact]
    public async Task Deleting_a_user_or_a_group_deletes_their_grants_and_a_newcomer_of_the_same_name_gets_none()
    {
        var repository = new SqlDirectoryRepository(test.Database);
        var directory = new DbUserDirectory(repository);
        foreach (var user in new[] { Bob, Alice, Carol, Admin })
            Assert.Equal(user.StoreOwner, (await repository.CreateUserAsync("db", user.Login, "", new UserUpdate())).StoreOwner);
        var dave = await repository.CreateUserAsync("db", "dave", "", new UserUpdate());
        await repository.CreateGroupAsync("Team", "", "");
        await repository.AddGroupMemberAsync("Team", "db", "dave");
        var other = await store.CreateFolderAsync(bobs.Id, null, "Other", ContainerClass.Mail);
        await access.SetAsync(null, shared, Grantee.User(dave), FolderRoles.Editor);
        await access.SetAsync(null, other, Grantee.Group("Team"), FolderRoles.Reviewer);
        await access.SetAsync(null, other, Grantee.User(Alice), FolderRoles.Author);

        await repository.DeleteUserAsync("db", "dave");
        await repository.DeleteGroupAsync("Team");

        // only alice's grant is left, in either folder
        Assert.Equal([Grantee.User(Alice)], (await grants.ListForStoreAsync(bobs.Id)).Select(g => g.Grantee));
        var newDave = await repository.CreateUserAsync("db", "dave", "", new UserUpdate());
        await repository.CreateGroupAsync("team", "", "");
        await repository.AddGroupMemberAsync("team", "db", "dave");
        newDave = (await directory.FindUserAsync("dave"))!;
        Assert.NotEqual(dave.StoreOwner, newDave.StoreOwner); // db:<id>: a key is never given twice
        Assert.Equal(["team"], newDave.Groups);
        Assert.Equal(FolderRights.None, await access.RightsAsync(newDave, shared));
        Assert.Equal(FolderRights.None, await access.RightsAsync(newDave, other));
        Assert.Empty(await access.SharedStoresAsync(newDave));
    }

    [Fact]
    public async Task The_company_public_store_has_the_default_rights_an_anyone_grant_overrides_and_admins_own_it()
    {
        var publicStore = await store.EnsureStoreAsync(StoreKind.Public, "", "en");
        var folder = await store.CreateFolderAsync(publicStore.Id, null, "News", ContainerClass.Mail);
        Assert.Equal(FolderRoles.Contributor | FolderRights.ReadItems, await access.RightsAsync(Alice, folder));
        Assert.Equal(FolderRights.All, await access.RightsAsync(Admin, folder));
        Assert.Equal(FolderRights.None, await access.RightsAsync(Alice with { Company = "Other" }, folder));

        await grants.SetAsync(folder.Id, Grantee.Anyone, FolderRoles.Reviewer);
        Assert.Equal(FolderRoles.Reviewer, await access.RightsAsync(Carol, folder));
        Assert.Equal(publicStore.Id, (await access.PublicStoreAsync(Carol))!.Id);
    }

    [Fact]
    public async Task Shared_folders_list_the_other_stores_with_the_user_s_rights_and_the_public_store_last()
    {
        var hidden = await store.CreateFolderAsync(bobs.Id, null, "Private", ContainerClass.Mail);
        await grants.SetAsync(shared.Id, Grantee.User(Alice), FolderRoles.Reviewer);
        var publicStore = await store.EnsureStoreAsync(StoreKind.Public, "", "en");
        await store.CreateFolderAsync(publicStore.Id, null, "News", ContainerClass.Mail);

        var seen = await access.SharedFoldersAsync(Alice);
        Assert.Equal([bobs.Id, publicStore.Id], seen.Select(s => s.Store.Id));
        Assert.Equal(["Shared"], seen[0].Visible.Select(f => f.Name));
        Assert.Equal(FolderRights.None, seen[0].Rights[hidden.Id]);
        Assert.Equal(["News"], seen[1].Visible.Select(f => f.Name));
        Assert.Equal([publicStore.Id], (await access.SharedFoldersAsync(Carol)).Select(s => s.Store.Id));
    }

    [Fact]
    public async Task A_message_s_structure_description_takes_the_right_to_read_it()
    {
        var alices = new UserMailStore(store, access, Alice);
        await store.AppendAsync(shared.Id, Messages.Make("bob's"), new AppendRequest { Structure = [1, 7] });
        var item = Assert.Single(await store.ListItemsAsync(shared.Id));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.GetStructuresAsync([item]));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.SaveStructureAsync(item, [1, 8]));

        await grants.SetAsync(shared.Id, Grantee.User(Alice), FolderRoles.Reviewer);
        alices.Forget();
        Assert.Equal([1, 7], (await alices.GetStructuresAsync([item]))[item.BlobId]);
    }

    [Fact]
    public async Task A_user_s_store_refuses_what_the_grants_do_not_allow_and_leaves_off_flags()
    {
        var alices = new UserMailStore(store, access, Alice);
        await store.AppendAsync(shared.Id, Messages.Make("bob's"));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.ListItemsAsync(shared.Id));

        await grants.SetAsync(shared.Id, Grantee.User(Alice), FolderRoles.Reviewer);
        alices.Forget();
        var item = Assert.Single(await alices.ListItemsAsync(shared.Id));
        await using (await alices.OpenContentAsync(item)) { }
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.SetFlagsAsync(shared.Id, [item.Uid], new FlagChange(FlagOperation.Add, MessageFlags.Seen, [])));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.ExpungeAsync(shared.Id, [item.Uid]));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.CreateFolderAsync(bobs.Id, shared.Id, "Sub", ContainerClass.Mail));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.CreateFolderAsync(bobs.Id, null, "Top", ContainerClass.Mail));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.DeleteFolderAsync(shared.Id));
        using (var staged = await store.StageAsync(new MemoryStream(Messages.Make("alice's"))))
            await Assert.ThrowsAsync<AccessDeniedException>(() => alices.AppendAsync(shared.Id, staged, new AppendRequest()));

        await grants.SetAsync(shared.Id, Grantee.User(Alice), FolderRoles.Author);
        alices.Forget();
        await alices.SetFlagsAsync(shared.Id, [item.Uid], new FlagChange(FlagOperation.Add, MessageFlags.Seen, []));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.SetFlagsAsync(shared.Id, [item.Uid], new FlagChange(FlagOperation.Add, MessageFlags.Flagged, [])));
        using (var staged = await store.StageAsync(new MemoryStream(Messages.Make("alice's"))))
        {
            var appended = await alices.AppendAsync(shared.Id, staged, new AppendRequest { Flags = MessageFlags.Seen | MessageFlags.Flagged | MessageFlags.Deleted, Keywords = ["$Work"] });
            var stored = (await store.GetItemAsync(shared.Id, appended.Uid))!;
            Assert.Equal(MessageFlags.Seen, stored.Flags);
            Assert.Empty(stored.Keywords);
        }

        // her own store is hers entirely
        var own = await store.EnsureStoreAsync(StoreKind.Private, Alice.StoreOwner, "en");
        var mine = await alices.CreateFolderAsync(own.Id, null, "Mine", ContainerClass.Mail);
        await alices.DeleteFolderAsync(mine.Id);
    }

    [Fact]
    public async Task Another_user_s_store_shows_only_what_the_grants_let_the_user_see()
    {
        var alices = new UserMailStore(store, access, Alice);
        var hidden = await store.CreateFolderAsync(bobs.Id, null, "Private", ContainerClass.Mail);
        var below = await store.CreateFolderAsync(bobs.Id, shared.Id, "Below", ContainerClass.Mail);

        // nothing granted: bob's store is closed to her
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.GetStoreAsync(bobs.Id));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.ListFoldersAsync(bobs.Id));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.GetFolderAsync(shared.Id));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.GetChangesAsync(bobs.Id, 0));
        Assert.Null(await alices.FindStoreAsync(StoreKind.Private, Bob.StoreOwner));
        Assert.DoesNotContain(bobs.Id, (await alices.ListStoresAsync()).Select(s => s.Id));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.EnsureStoreAsync(StoreKind.Private, Bob.StoreOwner, "en"));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.EnsureStoreAsync(StoreKind.Public, "Other", "en"));

        // one folder shared: that folder and no other
        await grants.SetAsync(shared.Id, Grantee.User(Alice), FolderRoles.Owner);
        alices.Forget();
        Assert.Equal(bobs.Id, (await alices.GetStoreAsync(bobs.Id)).Id);
        Assert.Equal(bobs.Id, (await alices.FindStoreAsync(StoreKind.Private, Bob.StoreOwner))!.Id);
        Assert.Contains(bobs.Id, (await alices.ListStoresAsync()).Select(s => s.Id));
        Assert.Equal(["Shared"], (await alices.ListFoldersAsync(bobs.Id)).Select(f => f.Name));
        Assert.Equal("Shared", (await alices.GetFolderAsync(shared.Id)).Name);
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.GetFolderAsync(hidden.Id));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.GetFolderAsync(below.Id));
        await grants.SetAsync(below.Id, Grantee.User(Alice), FolderRights.ReadItems); // RFC 4314: opened by name, not listed
        alices.Forget();
        Assert.Equal("Below", (await alices.GetFolderAsync(below.Id)).Name);
        Assert.Equal(["Shared"], (await alices.ListFoldersAsync(bobs.Id)).Select(f => f.Name));
        await grants.RemoveAsync(below.Id, Grantee.User(Alice));
        alices.Forget();

        // the change log names the items of folders she may read, and of the others only the folder
        var before = (await store.GetStoreAsync(bobs.Id)).ModSeq;
        var readable = await store.AppendAsync(shared.Id, Messages.Make("shared"));
        await store.AppendAsync(hidden.Id, Messages.Make("private"));
        var changes = await alices.GetChangesAsync(bobs.Id, before);
        Assert.Equal(2, changes.Count);
        Assert.Equal((shared.Id, readable.Uid), (changes[0].FolderId, changes[0].Uid));
        Assert.Equal((hidden.Id, (long?)null, 0L), (changes[1].FolderId, changes[1].Uid, changes[1].ObjectId));
        Assert.Equal((await store.GetChangesAsync(bobs.Id, before)).Select(c => c.ModSeq), changes.Select(c => c.ModSeq));

        // a folder with one below it that she cannot see is not deleted with it
        var refused = await Assert.ThrowsAsync<FolderOperationException>(() => alices.DeleteFolderAsync(shared.Id));
        Assert.Equal("delete the folders below it first", refused.Message);
        Assert.Equal("Below", (await store.GetFolderAsync(below.Id)).Name);

        // subscriptions live in her own store
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.SetSubscriptionAsync(bobs.Id, "Shared", true));
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.ListSubscriptionsAsync(bobs.Id));
        var own = await alices.EnsureStoreAsync(StoreKind.Private, Alice.StoreOwner, "en");
        await alices.SetSubscriptionAsync(own.Id, "Other Users/bob/Shared", true);
        Assert.Equal(["Other Users/bob/Shared"], await alices.ListSubscriptionsAsync(own.Id));
        Assert.Equal(own.Id, (await alices.GetStoreAsync(own.Id)).Id);
        Assert.Equal(await store.ListFoldersAsync(own.Id), await alices.ListFoldersAsync(own.Id));
    }

    [Fact]
    public async Task Copies_into_another_store_lose_the_flags_the_user_may_not_set_there()
    {
        var alices = new UserMailStore(store, access, Alice);
        var own = await store.EnsureStoreAsync(StoreKind.Private, Alice.StoreOwner, "en");
        var inbox = await store.InboxAsync(own.Id);
        var original = await store.AppendAsync(inbox.Id, Messages.Make("mine"), new AppendRequest { Flags = MessageFlags.Seen | MessageFlags.Flagged, Keywords = ["$Work"] });
        await grants.SetAsync(shared.Id, Grantee.User(Alice), FolderRoles.Author); // edit own (\Seen), not edit all

        var copied = await alices.CopyItemsAsync(inbox.Id, [original.Uid], shared.Id);
        var copy = (await store.GetItemAsync(shared.Id, Assert.Single(copied.Mappings).TargetUid))!;
        Assert.Equal(MessageFlags.Seen, copy.Flags);
        Assert.Empty(copy.Keywords);
        await Assert.ThrowsAsync<AccessDeniedException>(() => alices.MoveItemsAsync(shared.Id, [copy.Uid], inbox.Id));

        // within her own store nothing is lost
        var drafts = (await store.ListFoldersAsync(own.Id)).Single(f => f.SpecialUse == SpecialUse.Drafts);
        var again = await alices.CopyItemsAsync(inbox.Id, [original.Uid], drafts.Id);
        var kept = (await store.GetItemAsync(drafts.Id, Assert.Single(again.Mappings).TargetUid))!;
        Assert.Equal(MessageFlags.Seen | MessageFlags.Flagged, kept.Flags);
        Assert.Equal(["$Work"], kept.Keywords);
    }

    [Theory]
    [InlineData("reviewer", FolderRoles.Reviewer)]
    [InlineData("Publishing Editor", FolderRoles.PublishingEditor)]
    [InlineData("nonediting-author", FolderRoles.NonEditingAuthor)]
    [InlineData("secretary", FolderRoles.Secretary)]
    [InlineData("read, create folder-visible", FolderRights.ReadItems | FolderRights.CreateItems | FolderRights.FolderVisible)]
    [InlineData("0x401", FolderRoles.Reviewer)]
    [InlineData("none", FolderRights.None)]
    public void Roles_and_right_names_parse(string text, FolderRights expected)
    {
        Assert.True(FolderRoles.TryParse(text, out var rights));
        Assert.Equal(expected, rights);
    }

    [Fact]
    public void Roles_have_the_original_values_and_unknown_names_are_refused()
    {
        Assert.Equal(0x7FB, (int)FolderRoles.Owner);
        Assert.Equal(0x4FB, (int)FolderRoles.PublishingEditor);
        Assert.Equal(0x47B, (int)FolderRoles.Editor);
        Assert.Equal(0x41B, (int)FolderRoles.Author);
        Assert.Equal(0x401, (int)FolderRoles.Reviewer);
        Assert.Equal(0x402, (int)FolderRoles.Contributor);
        Assert.Equal("author", FolderRoles.Describe(FolderRoles.Author));
        Assert.Equal("read create", FolderRoles.Describe(FolderRights.ReadItems | FolderRights.CreateItems));
        Assert.False(FolderRoles.TryParse("janitor", out _));
        Assert.False(FolderRoles.TryParse("", out _));
    }
}
