using System.Text;
using Rookery.Directory;
using Rookery.Store;
using Rookery.Testing;

namespace Rookery.Imap.Tests;

/// <summary>ACL (RFC 4314) and the shared namespaces: bob shares folders with alice, the public store is everyone's.</summary>
public sealed class AclTests : IAsyncLifetime
{
    ImapHarness harness = null!;
    FolderInfo shared = null!;

    public async Task InitializeAsync()
    {
        harness = await ImapHarness.CreateAsync();
        await harness.Repository.UpdateUserAsync("db", "bob", new UserUpdate { ResetFeatures = ["imap"] }, null);
        var bobs = await harness.Users.EnsureStoreAsync((await harness.Repository.FindUserAsync("db", "bob"))!);
        shared = await harness.Store.CreateFolderAsync(bobs.Id, null, "Shared", ContainerClass.Mail);
        await AppendAsync(shared, "in shared");
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    Task Run(string script) => Transcript.RunAsync(harness.Session(), script);

    async Task AppendAsync(FolderInfo folder, string subject, MessageFlags flags = MessageFlags.None)
    {
        var content = Encoding.UTF8.GetBytes($"From: bob@example.com\r\nSubject: {subject}\r\n\r\nHello.\r\n");
        using var staged = await harness.Store.StageAsync(new MemoryStream(content));
        await harness.Store.AppendAsync(folder.Id, staged, new AppendRequest { Flags = flags, Fields = new ItemFields { Subject = subject } });
    }

    async Task<UserAccount> UserAsync(string login) => (await harness.Repository.FindUserAsync("db", login))!;

    [Fact]
    public async Task Bob_shares_a_folder_and_alice_reads_and_appends_in_Other_Users()
    {
        await Run("""
            S: * OK [CAPABILITY … ACL RIGHTS=texk …] *
            C: a LOGIN bob pw
            S: a OK *
            C: m MYRIGHTS Shared
            S: * MYRIGHTS Shared lrswipkxtecda
            S: m OK MYRIGHTS completed
            C: s SETACL Shared alice lrsi
            S: s OK SETACL completed
            C: g GETACL Shared
            S: * ACL Shared bob lrswipkxtecda alice lrsip
            S: g OK GETACL completed
            C: l1 LISTRIGHTS Shared alice
            S: * LISTRIGHTS Shared alice "" l r s w ip k xa te c d
            S: l1 OK LISTRIGHTS completed
            C: l2 LISTRIGHTS Shared bob
            S: * LISTRIGHTS Shared bob lrswipkxtecda
            S: l2 OK LISTRIGHTS completed
            """);
        // a calendar shared with alice stays hidden from IMAP (imap_only_mailfolders)
        var calendar = await harness.FolderAsync("bob", SpecialUse.Calendar);
        await harness.Grants.SetAsync(calendar.Id, Grantee.User(await UserAsync("alice")), FolderRoles.Owner);

        await Run("""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: n NAMESPACE
            S: * NAMESPACE (("" "/")) (("Other Users/" "/")) (("Public Folders/" "/"))
            S: n OK NAMESPACE completed
            C: l LIST "" "Other Users*"
            S: * LIST (\Noselect \HasChildren) "/" "Other Users"
            S: * LIST (\Noselect \HasChildren) "/" "Other Users/bob"
            S: * LIST (\HasNoChildren) "/" "Other Users/bob/Shared"
            S: l OK LIST completed
            C: l2 LIST "Other Users/" %
            S: * LIST (\Noselect \HasChildren) "/" "Other Users/bob"
            S: l2 OK LIST completed
            C: m MYRIGHTS "Other Users/bob/Shared"
            S: * MYRIGHTS "Other Users/bob/Shared" lrsip
            S: m OK MYRIGHTS completed
            C: q GETQUOTAROOT "Other Users/bob/Shared"
            S: * QUOTAROOT "Other Users/bob/Shared"
            S: q OK GETQUOTAROOT completed
            C: st STATUS "Other Users/bob/Shared" (MESSAGES UNSEEN)
            S: * STATUS "Other Users/bob/Shared" (MESSAGES 1 UNSEEN 1)
            S: st OK STATUS completed
            C: s SELECT "Other Users/bob/Shared"
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
            S: * OK [PERMANENTFLAGS (\Seen)] Flags permitted
            S: * 1 EXISTS
            S: * 1 RECENT
            S: * OK [UNSEEN 1] First unseen
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 2] Predicted next UID
            S: s OK [READ-WRITE] SELECT completed
            C: f FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])
            S: * 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {22}
            S: Subject: in shared
            S: 
            S:  FLAGS (\Recent \Seen))
            S: f OK FETCH completed
            C: w STORE 1 +FLAGS (\Flagged)
            S: w NO [NOPERM] No permission to change flags in this mailbox
            C: t STORE 1 +FLAGS (\Deleted)
            S: t NO [NOPERM] No permission to change \Deleted in this mailbox
            C: r STORE 1 FLAGS (\Seen)
            S: r NO [NOPERM] *
            C: u STORE 1 -FLAGS (\Seen)
            S: * 1 FETCH (FLAGS (\Recent))
            S: u OK STORE completed
            C: e EXPUNGE
            S: e NO [NOPERM] No permission to expunge messages in this mailbox
            C: p APPEND "Other Users/bob/Shared" (\Seen \Flagged) {12+}
            C: Subject: x
            C:
            S: * 2 EXISTS
            S: * 2 RECENT
            S: p OK [APPENDUID … 2] APPEND completed
            C: f2 FETCH 2 FLAGS
            S: * 2 FETCH (FLAGS (\Recent \Seen))
            S: f2 OK FETCH completed
            C: v MOVE 1 INBOX
            S: v NO [NOPERM] No permission to remove messages from this mailbox
            C: c COPY 1 INBOX
            S: c OK [COPYUID … 1 1] COPY completed
            C: ga GETACL "Other Users/bob/Shared"
            S: ga NO [NOPERM] No permission to see the permissions of this mailbox
            C: sa SETACL "Other Users/bob/Shared" alice lrswipkxte
            S: sa NO [NOPERM] No permission to change the permissions of this mailbox
            C: k CREATE "Other Users/bob/Shared/Sub"
            S: k NO [NOPERM] No permission to create mailboxes here
            C: k2 CREATE "Other Users/bob/Top"
            S: k2 NO [NOPERM] No permission to create mailboxes here
            C: x DELETE "Other Users/bob/Shared"
            S: x NO [NOPERM] No permission to delete this mailbox
            C: i SELECT "Other Users/bob/INBOX"
            S: * OK [CLOSED] Previous mailbox closed
            S: i NO [NONEXISTENT] Mailbox does not exist
            C: o SELECT "Other Users/bob"
            S: o NO [NONEXISTENT] Mailbox does not exist
            C: cal MYRIGHTS "Other Users/bob/Calendar"
            S: cal NO [NONEXISTENT] Mailbox does not exist
            """);
        var items = await harness.Store.ListItemsAsync(shared.Id);
        Assert.Equal(2, items.Count);
        Assert.Equal(MessageFlags.Seen, items[1].Flags); // \Flagged left off: alice has no "w"
    }

    [Fact]
    public async Task A_reviewer_opens_read_only_and_can_neither_append_nor_mark_read()
    {
        await harness.Access.SetAsync(null, shared, Grantee.User(await UserAsync("alice")), FolderRoles.Reviewer);
        await Run("""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: m MYRIGHTS "Other Users/bob/Shared"
            S: * MYRIGHTS "Other Users/bob/Shared" lr
            S: m OK MYRIGHTS completed
            C: s SELECT "Other Users/bob/Shared"
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
            S: * OK [PERMANENTFLAGS ()] Read-only mailbox
            S: * 1 EXISTS
            S: * 1 RECENT
            S: * OK [UNSEEN 1] First unseen
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 2] Predicted next UID
            S: s OK [READ-ONLY] SELECT completed
            C: f FETCH 1 (FLAGS BODY[TEXT])
            S: * 1 FETCH (FLAGS (\Recent) BODY[TEXT] {8}
            S: Hello.
            S: )
            S: f OK FETCH completed
            C: p APPEND "Other Users/bob/Shared" {12+}
            C: Subject: x
            C:
            S: p NO [NOPERM] No permission to append to this mailbox
            C: u UNSELECT
            S: u OK UNSELECT completed
            C: s2 SELECT INBOX
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 0 EXISTS
            S: * 0 RECENT
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 1] Predicted next UID
            S: s2 OK [READ-WRITE] SELECT completed
            """);
        Assert.Equal(MessageFlags.None, Assert.Single(await harness.Store.ListItemsAsync(shared.Id)).Flags);
    }

    [Fact]
    public async Task A_grant_to_a_group_reaches_its_members_and_anyone_reaches_everybody()
    {
        await harness.Repository.CreateGroupAsync("Sales", "", "");
        await harness.Repository.AddGroupMemberAsync("Sales", "db", "alice");
        await Run("""
            S: * OK *
            C: a LOGIN bob pw
            S: a OK *
            C: s SETACL Shared group:sales lr
            S: s OK SETACL completed
            C: g GETACL Shared
            S: * ACL Shared bob lrswipkxtecda group:Sales lr
            S: g OK GETACL completed
            C: s2 SETACL INBOX anyone l
            S: s2 OK SETACL completed
            """);
        await Run("""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: l LIST "Other Users/bob/" *
            S: * LIST (\HasNoChildren) "/" "Other Users/bob/INBOX"
            S: * LIST (\HasNoChildren) "/" "Other Users/bob/Shared"
            S: l OK LIST completed
            C: m MYRIGHTS "Other Users/bob/Shared"
            S: * MYRIGHTS "Other Users/bob/Shared" lr
            S: m OK MYRIGHTS completed
            C: s SELECT "Other Users/bob/INBOX"
            S: s NO [NOPERM] No permission to read this mailbox
            """);
    }

    [Fact]
    public async Task A_folder_with_read_but_not_lookup_is_not_listed_but_opens_by_name()
    {
        var alice = Grantee.User(await UserAsync("alice"));
        var bobs = await harness.Store.GetStoreAsync(shared.StoreId);
        var hidden = await harness.Store.CreateFolderAsync(bobs.Id, null, "Hidden", ContainerClass.Mail);
        var drop = await harness.Store.CreateFolderAsync(bobs.Id, null, "Drop", ContainerClass.Mail);
        await harness.Store.CreateFolderAsync(bobs.Id, null, "Secret", ContainerClass.Mail);
        await AppendAsync(hidden, "in hidden");
        await harness.Grants.SetAsync(hidden.Id, alice, FolderRights.ReadItems); // IMAP "r"
        await harness.Grants.SetAsync(drop.Id, alice, FolderRights.CreateItems); // IMAP "ip"
        await Run("""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: l LIST "" "Other Users*"
            S: l OK LIST completed
            C: m MYRIGHTS "Other Users/bob/Hidden"
            S: * MYRIGHTS "Other Users/bob/Hidden" r
            S: m OK MYRIGHTS completed
            C: st STATUS "Other Users/bob/Hidden" (MESSAGES UNSEEN)
            S: * STATUS "Other Users/bob/Hidden" (MESSAGES 1 UNSEEN 1)
            S: st OK STATUS completed
            C: e EXAMINE "Other Users/bob/Hidden"
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
            S: * OK [PERMANENTFLAGS ()] Read-only mailbox
            S: * 1 EXISTS
            S: * 1 RECENT
            S: * OK [UNSEEN 1] First unseen
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 2] Predicted next UID
            S: e OK [READ-ONLY] EXAMINE completed
            C: s SELECT "Other Users/bob/Hidden"
            S: * OK [CLOSED] Previous mailbox closed
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
            S: * OK [PERMANENTFLAGS ()] Read-only mailbox
            S: * 1 EXISTS
            S: * 1 RECENT
            S: * OK [UNSEEN 1] First unseen
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 2] Predicted next UID
            S: s OK [READ-ONLY] SELECT completed
            C: f FETCH 1 (FLAGS BODY[HEADER.FIELDS (SUBJECT)])
            S: * 1 FETCH (FLAGS (\Recent) BODY[HEADER.FIELDS (SUBJECT)] {22}
            S: Subject: in hidden
            S: 
            S: )
            S: f OK FETCH completed
            C: w STORE 1 +FLAGS (\Seen)
            S: w NO [READ-ONLY] *
            C: p APPEND "Other Users/bob/Hidden" {12+}
            C: Subject: x
            C:
            S: p NO [TRYCREATE] Mailbox does not exist
            C: g GETACL "Other Users/bob/Hidden"
            S: g NO [NONEXISTENT] Mailbox does not exist
            C: k CREATE "Other Users/bob/Hidden/Sub"
            S: k NO [NONEXISTENT] The parent mailbox does not exist
            C: x DELETE "Other Users/bob/Hidden"
            S: x NO [NONEXISTENT] Mailbox does not exist
            C: d APPEND "Other Users/bob/Drop" {12+}
            C: Subject: x
            C:
            S: d OK [APPENDUID … 1] APPEND completed
            C: m2 MYRIGHTS "Other Users/bob/Drop"
            S: * MYRIGHTS "Other Users/bob/Drop" ip
            S: m2 OK MYRIGHTS completed
            C: d2 EXAMINE "Other Users/bob/Drop"
            S: * OK [CLOSED] Previous mailbox closed
            S: d2 NO [NONEXISTENT] Mailbox does not exist
            C: d3 STATUS "Other Users/bob/Drop" (MESSAGES)
            S: d3 NO [NONEXISTENT] Mailbox does not exist
            C: n SELECT "Other Users/bob/Secret"
            S: n NO [NONEXISTENT] Mailbox does not exist
            C: n2 MYRIGHTS "Other Users/bob/Secret"
            S: n2 NO [NONEXISTENT] Mailbox does not exist
            C: l2 LIST "" "Other Users*"
            S: l2 OK LIST completed
            """);
        Assert.Single(await harness.Store.ListItemsAsync(drop.Id));

        // above a folder alice may see, the one she may read but not see is a \Noselect level, and still opens by name
        var sub = await harness.Store.CreateFolderAsync(bobs.Id, hidden.Id, "Sub", ContainerClass.Mail);
        await harness.Grants.SetAsync(sub.Id, alice, FolderRoles.Reviewer);
        await Run("""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: l LIST "" "Other Users*"
            S: * LIST (\Noselect \HasChildren) "/" "Other Users"
            S: * LIST (\Noselect \HasChildren) "/" "Other Users/bob"
            S: * LIST (\Noselect \HasChildren) "/" "Other Users/bob/Hidden"
            S: * LIST (\HasNoChildren) "/" "Other Users/bob/Hidden/Sub"
            S: l OK LIST completed
            C: st STATUS "Other Users/bob/Hidden" (MESSAGES)
            S: * STATUS "Other Users/bob/Hidden" (MESSAGES 1)
            S: st OK STATUS completed
            C: ls LIST "" "Other Users/bob/*" RETURN (STATUS (MESSAGES))
            S: * LIST (\Noselect \HasChildren) "/" "Other Users/bob/Hidden"
            S: * LIST (\HasNoChildren) "/" "Other Users/bob/Hidden/Sub"
            S: * STATUS "Other Users/bob/Hidden/Sub" (MESSAGES 0)
            S: ls OK LIST completed
            """);
    }

    [Fact]
    public async Task Getacl_leaves_out_grants_to_users_and_groups_the_directory_no_longer_has()
    {
        await harness.Grants.SetAsync(shared.Id, new Grantee(GranteeKind.User, "db:999"), FolderRoles.Reviewer);
        await harness.Grants.SetAsync(shared.Id, Grantee.Group("ghosts"), FolderRoles.Reviewer);
        await harness.Grants.SetAsync(shared.Id, Grantee.User(await UserAsync("alice")), FolderRoles.Author);
        await Run("""
            S: * OK *
            C: a LOGIN bob pw
            S: a OK *
            C: g GETACL Shared
            S: * ACL Shared bob lrswipkxtecda alice lrsip
            S: g OK GETACL completed
            """);
    }

    [Fact]
    public async Task Changes_in_bob_s_store_reach_alice_and_a_revoked_right_closes_the_mailbox()
    {
        var alice = await UserAsync("alice");
        await harness.Access.SetAsync(null, shared, Grantee.User(alice), FolderRoles.Author);
        await Transcript.RunAsync(harness.Session(), """
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: s SELECT "Other Users/bob/Shared"
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS (\Seen)] Flags permitted
            S: * 1 EXISTS
            S: * 1 RECENT
            S: * OK [UNSEEN 1] First unseen
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 2] Predicted next UID
            S: s OK [READ-WRITE] SELECT completed
            ! deliver
            C: n NOOP
            S: * 2 EXISTS
            S: * 2 RECENT
            S: n OK NOOP completed
            ! revoke
            C: n2 NOOP
            S: * OK [CLOSED] No permission to read the selected mailbox any more
            S: n2 OK NOOP completed
            C: f FETCH 1 FLAGS
            S: f BAD FETCH: Select a mailbox first
            """, actions: async action =>
        {
            if (action == "deliver")
                await AppendAsync(shared, "delivered to bob");
            else
            {
                await harness.Grants.RemoveAsync(shared.Id, Grantee.User(alice));
                await Task.Delay(TimeSpan.FromSeconds(2.2)); // the session reuses rights read in the last two seconds
                await AppendAsync(shared, "after the revocation");
            }
        });
    }

    [Fact]
    public async Task Acl_commands_check_their_arguments_and_keep_the_owner_s_rights()
    {
        await harness.Repository.CreateGroupAsync("Sales", "", "");
        await Run("""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: b1 SETACL INBOX bob lrz
            S: b1 BAD Unknown right; the rights are lrswipkxtecda
            C: b2 GETACL
            S: b2 BAD GETACL: wrong number of arguments
            C: n1 SETACL INBOX nobody lr
            S: n1 NO [CANNOT] No such user: nobody
            C: n2 SETACL INBOX -bob lr
            S: n2 NO [CANNOT] Negative rights are not supported
            C: n3 SETACL INBOX alice lr
            S: n3 NO [CANNOT] the owner of a store always has every right on it
            C: n4 GETACL Nosuch
            S: n4 NO [NONEXISTENT] Mailbox does not exist
            C: n5 SETACL INBOX group:nobody lr
            S: n5 NO [CANNOT] No such group: nobody
            C: s1 SETACL INBOX bob +lr
            S: s1 OK SETACL completed
            C: s2 SETACL INBOX bob -r
            S: s2 OK SETACL completed
            C: g1 GETACL INBOX
            S: * ACL INBOX alice lrswipkxtecda bob l
            S: g1 OK GETACL completed
            C: s3 SETACL INBOX bob c
            S: s3 OK SETACL completed
            C: s4 SETACL INBOX anyone +d
            S: s4 OK SETACL completed
            C: s5 SETACL INBOX group:sales lrs
            S: s5 OK SETACL completed
            C: g2 GETACL INBOX
            S: * ACL INBOX alice lrswipkxtecda bob kxca group:Sales lrs anyone ted
            S: g2 OK GETACL completed
            C: d1 DELETEACL INBOX bob
            S: d1 OK DELETEACL completed
            C: d2 DELETEACL INBOX anyone
            S: d2 OK DELETEACL completed
            C: d3 DELETEACL INBOX group:Sales
            S: d3 OK DELETEACL completed
            C: g3 GETACL INBOX
            S: * ACL INBOX alice lrswipkxtecda
            S: g3 OK GETACL completed
            C: m MYRIGHTS INBOX
            S: * MYRIGHTS INBOX lrswipkxtecda
            S: m OK MYRIGHTS completed
            """);
    }

    [Fact]
    public async Task Deleting_a_shared_mailbox_never_takes_a_folder_below_it_that_alice_cannot_see()
    {
        await harness.Access.SetAsync(null, shared, Grantee.User(await UserAsync("alice")), FolderRoles.Owner);
        var bobs = await harness.Store.GetStoreAsync(shared.StoreId);
        var unseen = await harness.Store.CreateFolderAsync(bobs.Id, shared.Id, "Private", ContainerClass.Mail);
        await harness.Grants.RemoveAsync(unseen.Id, Grantee.User(await UserAsync("alice"))); // bob takes back what the new folder inherited
        await Run("""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: l LIST "" "Other Users/*"
            S: * LIST (\Noselect \HasChildren) "/" "Other Users/bob"
            S: * LIST (\HasNoChildren) "/" "Other Users/bob/Shared"
            S: l OK LIST completed
            C: x DELETE "Other Users/bob/Shared"
            S: x NO [CANNOT] delete the folders below it first
            """);
        Assert.Equal("Private", (await harness.Store.GetFolderAsync(unseen.Id)).Name);
    }

    [Fact]
    public async Task A_folder_owner_grant_lets_alice_manage_create_and_delete_in_bob_s_folder()
    {
        await harness.Access.SetAsync(null, shared, Grantee.User(await UserAsync("alice")), FolderRoles.Owner);
        await Run("""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: k CREATE "Other Users/bob/Shared/Sub"
            S: k OK CREATE completed
            C: g GETACL "Other Users/bob/Shared/Sub"
            S: * ACL "Other Users/bob/Shared/Sub" bob lrswipkxtecda alice lrswipkxtecda
            S: g OK GETACL completed
            C: s SETACL "Other Users/bob/Shared/Sub" anyone lr
            S: s OK SETACL completed
            C: r RENAME "Other Users/bob/Shared/Sub" "Other Users/bob/Shared/Renamed"
            S: r OK RENAME completed
            C: r2 RENAME "Other Users/bob/Shared/Renamed" Mine
            S: r2 NO [CANNOT] Mailboxes cannot be moved to another store
            C: x DELETE "Other Users/bob/Shared/Renamed"
            S: x OK DELETE completed
            C: l LIST "" "Other Users/*"
            S: * LIST (\Noselect \HasChildren) "/" "Other Users/bob"
            S: * LIST (\HasNoChildren) "/" "Other Users/bob/Shared"
            S: l OK LIST completed
            """);
    }

    [Fact]
    public async Task The_public_store_is_a_shared_namespace_with_the_default_rights()
    {
        var publicStore = await harness.Store.EnsureStoreAsync(StoreKind.Public, "", "en");
        var news = await harness.Store.CreateFolderAsync(publicStore.Id, null, "News", ContainerClass.Mail);
        await AppendAsync(news, "hello everyone");
        await Run("""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: l LIST "" "Public*"
            S: * LIST (\Noselect \HasChildren) "/" "Public Folders"
            S: * LIST (\HasNoChildren) "/" "Public Folders/News"
            S: l OK LIST completed
            C: m MYRIGHTS "Public Folders/News"
            S: * MYRIGHTS "Public Folders/News" lrip
            S: m OK MYRIGHTS completed
            C: s EXAMINE "Public Folders/News"
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS ()] Read-only mailbox
            S: * 1 EXISTS
            S: * 1 RECENT
            S: * OK [UNSEEN 1] First unseen
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 2] Predicted next UID
            S: s OK [READ-ONLY] EXAMINE completed
            C: p APPEND "Public Folders/News" {12+}
            C: Subject: x
            C:
            S: * 2 EXISTS
            S: p OK [APPENDUID … 2] APPEND completed
            C: g GETACL "Public Folders/News"
            S: g NO [NOPERM] *
            C: k CREATE "Public Folders/Mine"
            S: k NO [NOPERM] No permission to create mailboxes here
            """);
        await harness.Repository.UpdateUserAsync("db", "bob", new UserUpdate { IsAdmin = true }, null);
        await Run("""
            S: * OK *
            C: a LOGIN bob pw
            S: a OK *
            C: g GETACL "Public Folders/News"
            S: * ACL "Public Folders/News" anyone lrip
            S: g OK GETACL completed
            C: s SETACL "Public Folders/News" anyone lrs
            S: s OK SETACL completed
            C: k CREATE "Public Folders/Archive"
            S: k OK CREATE completed
            C: g2 GETACL "Public Folders/News"
            S: * ACL "Public Folders/News" anyone lrs
            S: g2 OK GETACL completed
            """);
        Assert.Equal(2, (await harness.Store.ListFoldersAsync(publicStore.Id)).Count);
    }
}
