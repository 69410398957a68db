using System.Text;
using Rookery.Store;
using Rookery.Testing;

namespace Rookery.Imap.Tests;

/// <summary>
/// NOTIFY (RFC 5465): after NOTIFY SET the session tells of changes as they happen — between commands, with
/// no command from the client — for the mailboxes and events asked for, and of nothing else.
/// </summary>
public sealed class NotifyTests : IAsyncLifetime
{
    ImapHarness harness = null!;
    FolderInfo inbox = null!;
    FolderInfo work = null!;

    public async Task InitializeAsync()
    {
        harness = await ImapHarness.CreateAsync();
        inbox = await harness.FolderAsync("alice");
        work = await harness.Store.CreateFolderAsync(inbox.StoreId, null, "Work", ContainerClass.Mail);
        await harness.DeliverAsync("alice", "first");
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    Task DeliverToWorkAsync() => harness.AppendAsync(work.Id, Encoding.ASCII.GetBytes("Subject: for work\r\n\r\nHello.\r\n"));

    Task Act(string action) => action switch
    {
        "a message arrives in Work" => DeliverToWorkAsync(),
        "a message arrives in INBOX" => harness.DeliverAsync("alice", "second"),
        "the first message of INBOX is expunged elsewhere" => harness.Store.ExpungeAsync(inbox.Id, [1]),
        "a folder Projects is made elsewhere" => harness.Store.CreateFolderAsync(inbox.StoreId, null, "Projects", ContainerClass.Mail),
        "Work is renamed Jobs elsewhere" => harness.Store.RenameFolderAsync(work.Id, "Jobs"),
        "Jobs is deleted elsewhere" => harness.Store.DeleteFolderAsync(work.Id),
        _ => throw new ArgumentException(action),
    };

    [Fact]
    public async Task Changes_of_other_mailboxes_arrive_between_commands_as_STATUS_and_LIST()
    {
        await Transcript.RunAsync(harness.Session(), """
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: b CAPABILITY
            S: * CAPABILITY … NOTIFY …
            S: b OK CAPABILITY completed
            C: c NOTIFY SET STATUS (MAILBOXES Work (MessageNew MessageExpunge))
            S: * STATUS Work (MESSAGES 0 UIDNEXT 1 UIDVALIDITY …)
            S: c OK NOTIFY completed
            ! a message arrives in Work
            S: * STATUS Work (MESSAGES 1 UIDNEXT 2)
            ! a message arrives in INBOX
            C: d NOOP
            S: d OK NOOP completed
            C: e NOTIFY SET (PERSONAL (MessageNew MessageExpunge MailboxName))
            S: e OK NOTIFY completed
            ! a folder Projects is made elsewhere
            S: * LIST (\HasNoChildren) "/" Projects
            ! Work is renamed Jobs elsewhere
            S: * LIST (\HasNoChildren) "/" Jobs ("OLDNAME" (Work))
            ! Jobs is deleted elsewhere
            S: * LIST (\NonExistent) "/" Jobs
            C: f NOTIFY NONE
            S: f OK NOTIFY completed
            ! a message arrives in INBOX
            C: g NOOP
            S: g OK NOOP completed
            """, actions: Act);
    }

    [Fact]
    public async Task The_selected_mailbox_pushes_new_messages_with_their_FETCH_and_expunges_between_commands()
    {
        await Transcript.RunAsync(harness.Session(), """
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: b SELECT INBOX
            S: …
            S: …
            S: …
            S: * 1 RECENT
            S: …
            S: …
            S: …
            S: b OK [READ-WRITE] SELECT completed
            C: c NOTIFY SET (SELECTED (MessageNew (UID FLAGS) MessageExpunge))
            S: c OK NOTIFY completed
            ! a message arrives in INBOX
            S: * 2 EXISTS
            S: * 2 RECENT
            S: * 2 FETCH (UID 2 FLAGS (\Recent))
            ! the first message of INBOX is expunged elsewhere
            S: * 1 EXPUNGE
            S: * 1 RECENT
            ! a message arrives in Work
            C: d NOOP
            S: d OK NOOP completed
            """, actions: Act);
    }

    [Fact]
    public async Task Events_not_offered_get_BADEVENT_and_events_out_of_their_pairs_BAD()
    {
        await Transcript.RunAsync(harness.Session(), """
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: b NOTIFY SET (PERSONAL (MessageNew MessageExpunge SubscriptionChange))
            S: b NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName)] *
            C: c NOTIFY SET (PERSONAL (MessageNew))
            S: c BAD *
            C: d NOTIFY SET (PERSONAL (FlagChange))
            S: d BAD *
            C: e NOTIFY SET (PERSONAL (MessageNew (UID) MessageExpunge))
            S: e BAD *
            C: f NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (SELECTED-DELAYED (MessageNew MessageExpunge))
            S: f BAD *
            C: g NOTIFY SET (SELECTED (MailboxName))
            S: g BAD *
            C: h NOTIFY SET (INBOXES NONE)
            S: h OK NOTIFY completed
            """);
    }
}
