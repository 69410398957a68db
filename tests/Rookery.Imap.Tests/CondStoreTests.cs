using Rookery.Store;
using Rookery.Testing;

namespace Rookery.Imap.Tests;

public sealed class CondStoreTests : IAsyncLifetime
{
    ImapHarness harness = null!;

    public async Task InitializeAsync() => harness = await ImapHarness.CreateAsync();

    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Fact]
    public async Task Condstore_reports_modseqs_and_refuses_conditional_stores_on_changed_messages()
    {
        await harness.DeliverAsync("alice", "one");
        await harness.DeliverAsync("alice", "two");
        var inbox = await harness.FolderAsync("alice");
        var items = await harness.Store.ListItemsAsync(inbox.Id);
        var (m1, m2) = (items[0].ModSeq, items[1].ModSeq);
        await Transcript.RunAsync(harness.Session(), $$"""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: s SELECT INBOX (CONDSTORE)
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 2 EXISTS
            S: * 2 RECENT
            S: * OK [UNSEEN 1] *
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 3] *
            S: * OK [HIGHESTMODSEQ {{m2}}] Highest
            S: s OK [READ-WRITE] SELECT completed
            C: f FETCH 1:* (MODSEQ)
            S: * 1 FETCH (MODSEQ ({{m1}}))
            S: * 2 FETCH (MODSEQ ({{m2}}))
            S: f OK FETCH completed
            C: s1 STORE 1 (UNCHANGEDSINCE {{m1}}) +FLAGS (\Seen)
            S: * 1 FETCH (UID 1 FLAGS (\Recent \Seen) MODSEQ (…))
            S: s1 OK STORE completed
            C: s2 STORE 1,2 (UNCHANGEDSINCE {{m2}}) +FLAGS (\Flagged)
            S: * 2 FETCH (UID 2 FLAGS (\Recent \Flagged) MODSEQ (…))
            S: s2 OK [MODIFIED 1] STORE conditional STORE failed for some messages
            C: f2 FETCH 1:* (FLAGS) (CHANGEDSINCE {{m2}})
            S: * 1 FETCH (FLAGS (\Recent \Seen) MODSEQ (…))
            S: * 2 FETCH (FLAGS (\Recent \Flagged) MODSEQ (…))
            S: f2 OK FETCH completed
            C: q SEARCH MODSEQ {{m2 + 1}}
            S: * SEARCH 1 2 (MODSEQ …)
            S: q OK SEARCH completed
            C: st STATUS INBOX (HIGHESTMODSEQ)
            S: * STATUS INBOX (HIGHESTMODSEQ …)
            S: st OK STATUS completed
            """);
    }

    [Fact]
    public async Task Changes_made_elsewhere_show_around_the_sessions_own_flag_changes()
    {
        foreach (var subject in new[] { "one", "two", "three" })
            await harness.DeliverAsync("alice", subject);
        var inbox = await harness.FolderAsync("alice");
        await Transcript.RunAsync(harness.Session(), """
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: s SELECT INBOX (CONDSTORE)
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 3 EXISTS
            S: * 3 RECENT
            S: * OK [UNSEEN 1] *
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 4] *
            S: * OK [HIGHESTMODSEQ …] Highest
            S: s OK [READ-WRITE] SELECT completed
            C: s1 STORE 1 +FLAGS (\Flagged)
            S: * 1 FETCH (UID 1 FLAGS (\Recent \Flagged) MODSEQ (…))
            S: s1 OK STORE completed
            C: n1 NOOP
            S: n1 OK NOOP completed
            ! seen 2
            C: s2 STORE 3 +FLAGS (\Flagged)
            S: * 3 FETCH (UID 3 FLAGS (\Recent \Flagged) MODSEQ (…))
            S: * 2 FETCH (UID 2 FLAGS (\Recent \Seen) MODSEQ (…))
            S: s2 OK STORE completed
            C: f1 FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])
            S: * 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {…}
            S: Subject: one
            S: 
            S: )
            S: f1 OK FETCH completed
            C: f2 FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])
            S: * 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {…}
            S: Subject: one
            S: 
            S:  FLAGS (\Recent \Seen \Flagged) UID 1 MODSEQ (…))
            S: f2 OK FETCH completed
            ! unflag 3
            C: n2 NOOP
            S: * 3 FETCH (UID 3 FLAGS (\Recent) MODSEQ (…))
            S: n2 OK NOOP completed
            C: st STATUS INBOX (HIGHESTMODSEQ)
            S: * STATUS INBOX (HIGHESTMODSEQ …)
            S: st OK STATUS completed
            """, actions: async action =>
        {
            var (flag, operation, uid) = action == "seen 2" ? (MessageFlags.Seen, FlagOperation.Add, 2L) : (MessageFlags.Flagged, FlagOperation.Remove, 3L);
            await harness.Store.SetFlagsAsync(inbox.Id, [uid], new FlagChange(operation, flag, []));
        });
    }

    [Fact]
    public async Task Qresync_reports_vanished_messages_and_changes_since_the_clients_modseq()
    {
        for (var i = 1; i <= 4; i++)
            await harness.DeliverAsync("alice", $"m{i}");
        var inbox = await harness.FolderAsync("alice");
        var before = (await harness.Store.GetFolderAsync(inbox.Id)).ModSeq;
        // while the client is away: one message expunged, one flagged
        await harness.Store.ExpungeAsync(inbox.Id, [2]);
        await harness.Store.SetFlagsAsync(inbox.Id, [3], new FlagChange(FlagOperation.Add, MessageFlags.Flagged, []));
        await Transcript.RunAsync(harness.Session(), $$"""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: e ENABLE QRESYNC
            S: * ENABLED QRESYNC
            S: e OK ENABLE completed
            C: s SELECT INBOX (QRESYNC ({{inbox.UidValidity}} {{before}} 1:4))
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 3 EXISTS
            S: * 3 RECENT
            S: * OK [UNSEEN 1] *
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 5] *
            S: * OK [HIGHESTMODSEQ …] Highest
            S: * VANISHED (EARLIER) 2
            S: * 2 FETCH (UID 3 FLAGS (\Recent \Flagged) MODSEQ (…))
            S: s OK [READ-WRITE] SELECT completed
            C: d UID STORE 4 +FLAGS.SILENT (\Deleted)
            S: * 3 FETCH (UID 4 FLAGS (\Recent \Deleted) MODSEQ (…))
            S: d OK UID STORE completed
            C: x EXPUNGE
            S: * VANISHED 4
            S: * 2 RECENT
            S: x OK EXPUNGE completed
            C: f UID FETCH 1:* (FLAGS) (CHANGEDSINCE {{before}} VANISHED)
            S: * VANISHED (EARLIER) 2,4
            S: * 2 FETCH (UID 3 FLAGS (\Recent \Flagged) MODSEQ (…))
            S: f OK UID FETCH completed
            """);
    }

    [Fact]
    public async Task Qresync_past_the_pruned_change_log_names_every_uid_the_folder_no_longer_holds()
    {
        for (var i = 1; i <= 5; i++)
            await harness.DeliverAsync("alice", $"m{i}");
        var inbox = await harness.FolderAsync("alice");
        var before = (await harness.Store.GetFolderAsync(inbox.Id)).ModSeq;
        await harness.Store.ExpungeAsync(inbox.Id, [2, 5]);
        await harness.Store.SetFlagsAsync(inbox.Id, [3], new FlagChange(FlagOperation.Add, MessageFlags.Flagged, []));
        // everything up to now leaves the log: the tombstones of 2 and 5 with it
        Assert.True(await harness.Store.PruneChangesAsync(DateTimeOffset.UtcNow.AddMinutes(1)) > 0);
        await Transcript.RunAsync(harness.Session(), $$"""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: e ENABLE QRESYNC
            S: * ENABLED QRESYNC
            S: e OK ENABLE completed
            C: s SELECT INBOX (QRESYNC ({{inbox.UidValidity}} {{before}}))
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 3 EXISTS
            S: * 3 RECENT
            S: * OK [UNSEEN 1] *
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 6] *
            S: * OK [HIGHESTMODSEQ …] Highest
            S: * VANISHED (EARLIER) 2,5
            S: * 2 FETCH (UID 3 FLAGS (\Recent \Flagged) MODSEQ (…))
            S: s OK [READ-WRITE] SELECT completed
            C: f UID FETCH 1:4 (FLAGS) (CHANGEDSINCE {{before}} VANISHED)
            S: * VANISHED (EARLIER) 2
            S: * 2 FETCH (UID 3 FLAGS (\Recent \Flagged) MODSEQ (…))
            S: f OK UID FETCH completed
            """);
    }
}
