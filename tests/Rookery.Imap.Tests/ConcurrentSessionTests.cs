using Rookery.Testing;

namespace Rookery.Imap.Tests;

/// <summary>
/// Two sessions on one mailbox, as imaptest's stress mode runs them: what one changes reaches the other
/// in the order its state tracking checks (RFC 9051 §7.3.5, RFC 2180 §4).
/// </summary>
public sealed class ConcurrentSessionTests : IAsyncLifetime
{
    ImapHarness harness = null!;

    public async Task InitializeAsync()
    {
        harness = await ImapHarness.CreateAsync();
        for (var i = 1; i <= 4; i++)
            await harness.DeliverAsync("alice", $"message {i}");
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    /// <summary>Runs <paramref name="script"/> in a second session of alice's, logged in and with INBOX selected.</summary>
    Task Other(string script) => Transcript.RunAsync(harness.Session(), $"""
        S: * OK *
        C: o1 LOGIN alice pw
        S: o1 OK *
        C: o2 SELECT INBOX
        S: …
        S: …
        S: …
        S: …
        S: …
        S: …
        S: …
        S: o2 OK [READ-WRITE] SELECT completed
        {script}
        C: o9 LOGOUT
        S: * BYE Logging out
        S: o9 OK LOGOUT completed
        """);

    [Fact]
    public async Task A_keyword_another_session_set_is_announced_with_FLAGS_before_any_FETCH_carries_it()
    {
        await Transcript.RunAsync(harness.Session(), """
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: b SELECT INBOX
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
            S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
            S: * 4 EXISTS
            S: * 4 RECENT
            S: * OK [UNSEEN 1] First unseen
            S: * OK [UIDVALIDITY …] UIDs valid
            S: * OK [UIDNEXT 5] Predicted next UID
            S: b OK [READ-WRITE] SELECT completed
            ! other session sets $Label2 and $label4
            C: c FETCH 2 (FLAGS)
            S: * 2 FETCH (FLAGS (\Recent))
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label2 $label4)
            S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label2 $label4 \*)] Flags permitted
            S: * 2 FETCH (UID 2 FLAGS (\Recent $Label2 $label4))
            S: c OK FETCH completed
            C: c2 FETCH 2 (FLAGS)
            S: * 2 FETCH (FLAGS (\Recent $Label2 $label4))
            S: c2 OK FETCH completed
            ! other session sets $Label2 on another message
            C: d NOOP
            # the same keyword in another case is no new one (RFC 9051 §2.3.2: flags are case-insensitive)
            S: * 3 FETCH (UID 3 FLAGS (\Recent $label2))
            S: d OK NOOP completed
            C: e STORE 1 +FLAGS (NIL)
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label2 $label4 NIL)
            S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label2 $label4 NIL \*)] Flags permitted
            S: * 1 FETCH (FLAGS (\Recent NIL))
            S: e OK STORE completed
            C: f LOGOUT
            S: * BYE Logging out
            S: f OK LOGOUT completed
            """, actions: action => action switch
        {
            "other session sets $Label2 and $label4" => Other("""
                C: o3 STORE 2 +FLAGS.SILENT ($Label2 $label4)
                S: o3 OK STORE completed
                """),
            "other session sets $Label2 on another message" => Other("""
                C: o3 STORE 3 +FLAGS.SILENT ($label2)
                S: o3 OK STORE completed
                """),
            _ => throw new ArgumentException(action),
        });
    }

    /// <summary>
    /// A keyword that came and went on a message between two looks of a session is still announced to it, and a
    /// session that opens the mailbox afterwards lists it too: every session of the mailbox has the same FLAGS,
    /// which imaptest's checkpoints compare (Dovecot keeps a mailbox's keywords the same way).
    /// </summary>
    [Fact]
    public async Task A_keyword_that_left_every_message_stays_in_FLAGS_for_every_session()
    {
        await Transcript.RunAsync(harness.Session(), $"""
            {ImapHarness.InboxSelected}
            ! other session sets $Gone and takes it away again
            C: c NOOP
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Gone)
            S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Gone \*)] Flags permitted
            # the message itself changed twice and is as it was; whether it is reported again is a detail
            S? * 1 FETCH (UID 1 FLAGS (\Recent))
            S: c OK NOOP completed
            C: d LOGOUT
            S: * BYE Logging out
            S: d OK LOGOUT completed
            """, actions: _ => Other("""
                C: o3 STORE 1 +FLAGS.SILENT ($Gone)
                S: o3 OK STORE completed
                C: o4 STORE 1 -FLAGS.SILENT ($Gone)
                S: o4 OK STORE completed
                """));

        await Transcript.RunAsync(harness.Session(), """
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: b SELECT INBOX
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Gone)
            S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Gone \*)] Flags permitted
            S: * 4 EXISTS
            S: * 0 RECENT
            S: * OK [UNSEEN 1] First unseen
            S: * OK [UIDVALIDITY …] UIDs valid
            S: * OK [UIDNEXT 5] Predicted next UID
            S: b OK [READ-WRITE] SELECT completed
            C: c FETCH 1 (FLAGS)
            S: * 1 FETCH (FLAGS ())
            S: c OK FETCH completed
            """);
    }

    /// <summary>
    /// Keywords a message brings along when it arrives (another session's APPEND) are announced before the
    /// FETCH of its flags, in an IDLE as well.
    /// </summary>
    [Fact]
    public async Task Keywords_of_a_new_message_are_announced_before_its_flags_in_IDLE()
    {
        await Transcript.RunAsync(harness.Session(), $"""
            {ImapHarness.InboxSelected}
            C: c IDLE
            S: + idling
            ! other session appends with $Important
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important)
            S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important \*)] Flags permitted
            S: * 5 EXISTS
            C: DONE
            # \Recent goes to whichever of the two sessions claims the new message first; only that one's
            # count changes (this session holds the first four), and a RECENT response says so
            S? * 5 RECENT
            S: c OK IDLE terminated
            C: d FETCH 5 (FLAGS)
            S: * 5 FETCH (FLAGS (…$Important))
            S: d OK FETCH completed
            """, actions: _ => Other("""
                C: o3 APPEND INBOX ($Important) {11+}
                C: Subject: x
                S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important)
                S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important \*)] Flags permitted
                S: * 5 EXISTS
                S? * 1 RECENT
                S: o3 OK [APPENDUID …] APPEND completed
                """));
    }

    /// <summary>
    /// The count of \Recent messages a session last announced follows expunges of them, as Dovecot's does:
    /// imaptest adds up every session's last RECENT at its checkpoints and expects no more than the mailbox
    /// holds. A session whose count did not change hears no RECENT.
    /// </summary>
    [Fact]
    public async Task RECENT_follows_expunges_of_recent_messages_made_elsewhere()
    {
        await Transcript.RunAsync(harness.Session(), $"""
            {ImapHarness.InboxSelected}
            ! other session expunges messages 2 and 3
            C: c NOOP
            S: * 3 EXPUNGE
            S: * 2 EXPUNGE
            S: * 2 RECENT
            S: c OK NOOP completed
            ! other session sets a flag
            C: d NOOP
            S: * 1 FETCH (UID 1 FLAGS (\Recent \Seen))
            S: d OK NOOP completed
            C: e LOGOUT
            S: * BYE Logging out
            S: e OK LOGOUT completed
            """, actions: action => action switch
        {
            // the other session selected INBOX second: none of its messages is \Recent there, so its count stays 0
            "other session expunges messages 2 and 3" => Other("""
                C: o3 STORE 2:3 +FLAGS.SILENT (\Deleted)
                S: o3 OK STORE completed
                C: o4 EXPUNGE
                S: * 3 EXPUNGE
                S: * 2 EXPUNGE
                S: o4 OK EXPUNGE completed
                """),
            "other session sets a flag" => Other("""
                C: o3 STORE 1 +FLAGS.SILENT (\Seen)
                S: o3 OK STORE completed
                """),
            _ => throw new ArgumentException(action),
        });
    }

    /// <summary>
    /// RFC 2180 §4.2.1: a STORE whose set holds messages another session expunged changes the rest and answers
    /// OK, with or without the session having heard of the expunge; the expunges follow where they may.
    /// </summary>
    [Fact]
    public async Task STORE_over_messages_expunged_elsewhere_changes_the_rest_and_answers_OK()
    {
        await Transcript.RunAsync(harness.Session(), $"""
            {ImapHarness.InboxSelected}
            ! other session expunges 2
            C: c STORE 1:4 +FLAGS (\Flagged)
            S: * 1 FETCH (FLAGS (\Recent \Flagged))
            S: * 3 FETCH (FLAGS (\Recent \Flagged))
            S: * 4 FETCH (FLAGS (\Recent \Flagged))
            S: c OK STORE completed
            C: d UID STORE 1:* +FLAGS.SILENT (\Deleted)
            S: * 2 EXPUNGE
            S: * 3 RECENT
            S: d OK UID STORE completed
            ! other session expunges 1 and 4
            C: e STORE 1:3 -FLAGS (\Flagged)
            S: * 2 FETCH (FLAGS (\Recent \Deleted))
            S: e OK STORE completed
            ! other session expunges the rest
            C: f STORE 2 +FLAGS (\Seen)
            S: f OK STORE completed
            C: g FETCH 1:3 (FLAGS)
            S: g OK [EXPUNGEISSUED] FETCH completed; some messages were already expunged
            C: h NOOP
            S: * 3 EXPUNGE
            S: * 2 EXPUNGE
            S: * 1 EXPUNGE
            S: * 0 RECENT
            S: h OK NOOP completed
            C: i UID STORE 1:* +FLAGS (\Seen)
            S: i OK UID STORE completed
            """, actions: action => action switch
        {
            "other session expunges 2" => Other("""
                C: o3 UID STORE 2 +FLAGS.SILENT (\Deleted)
                S: o3 OK UID STORE completed
                C: o4 EXPUNGE
                S: * 2 EXPUNGE
                S: o4 OK EXPUNGE completed
                """),
            "other session expunges 1 and 4" => Other("""
                C: o3 UID EXPUNGE 1,4
                S: * 3 EXPUNGE
                S: * 1 EXPUNGE
                S: o3 OK UID EXPUNGE completed
                """),
            "other session expunges the rest" => Other("""
                C: o3 EXPUNGE
                S: * 1 EXPUNGE
                S: o3 OK EXPUNGE completed
                """),
            _ => throw new ArgumentException(action),
        });
    }
}
