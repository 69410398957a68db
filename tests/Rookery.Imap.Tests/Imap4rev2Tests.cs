using Rookery.Store;
using Rookery.Testing;

namespace Rookery.Imap.Tests;

/// <summary>
/// What ENABLE IMAP4rev2 changes (RFC 9051 Appendix E), each difference shown side by side: the same
/// commands in an IMAP4rev1 session and in one that enabled IMAP4rev2.
/// </summary>
public sealed class Imap4rev2Tests : IAsyncLifetime
{
    ImapHarness harness = null!;

    public async Task InitializeAsync() => harness = await ImapHarness.CreateAsync();

    public async Task DisposeAsync() => await harness.DisposeAsync();

    Task Run(string script) => Transcript.RunAsync(harness.Session(), script, System.Text.Encoding.UTF8);

    const string LogIn = """
        S: * OK *
        C: a LOGIN alice pw
        S: a OK *
        """;

    const string LogInRev2 = LogIn + """

        C: e ENABLE IMAP4rev2
        S: * ENABLED IMAP4rev2
        S: e OK ENABLE completed
        """;

    [Fact]
    public async Task Both_revisions_are_announced_before_and_after_enable_and_imap4rev2_is_enabled_once()
    {
        await Run("""
            S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR …] imap.test Rookery IMAP ready
            C: a LOGIN alice pw
            S: a OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR …] LOGIN completed
            C: e ENABLE imap4rev2
            S: * ENABLED IMAP4rev2
            S: e OK ENABLE completed
            C: e2 ENABLE IMAP4rev2 UTF8=ACCEPT
            S: * ENABLED UTF8=ACCEPT
            S: e2 OK ENABLE completed
            C: c CAPABILITY
            S: * CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR …
            S: c OK CAPABILITY completed
            """);
    }

    [Fact]
    public async Task LITERAL_minus_is_not_announced_beside_LITERAL_plus_which_allows_more()
    {
        // RFC 7888 §5: a server does not advertise both. IMAP4rev2 implies LITERAL- (RFC 9051 §4.3), and
        // LITERAL+ takes non-synchronising literals of any size, small ones included.
        var toServer = new System.IO.Pipelines.Pipe();
        var toClient = new System.IO.Pipelines.Pipe();
        var session = harness.Session()(new Duplex(toServer.Reader, toClient.Writer));
        using var reader = new StreamReader(toClient.Reader.AsStream());
        var greeting = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await toServer.Writer.WriteAsync("a LOGIN {5+}\r\nalice {2+}\r\npw\r\n"u8.ToArray());
        var login = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await toServer.Writer.CompleteAsync();
        await session.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ ", greeting, StringComparison.Ordinal);
        Assert.StartsWith("a OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ ", login, StringComparison.Ordinal);
        Assert.DoesNotContain("LITERAL-", greeting + login, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Select_fetch_and_updates_show_no_recent_in_imap4rev2_which_leaves_recent_messages_to_imap4rev1()
    {
        var inbox = await harness.FolderAsync("alice");
        await harness.DeliverAsync("alice", "first");
        await harness.DeliverAsync("alice", "second", flags: MessageFlags.Seen);
        await harness.DeliverAsync("alice", "third");
        // IMAP4rev2: no RECENT and no [UNSEEN n] in SELECT, but the mailbox's LIST response; no \Recent anywhere
        await Run(LogInRev2 + $$"""

            C: s SELECT inbox
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
            S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
            S: * 3 EXISTS
            S: * OK [UIDVALIDITY {{inbox.UidValidity}}] UIDs valid
            S: * OK [UIDNEXT 4] Predicted next UID
            S: * LIST (\HasNoChildren) "/" INBOX
            S: s OK [READ-WRITE] SELECT completed
            C: f FETCH 1:* (UID FLAGS)
            S: * 1 FETCH (UID 1 FLAGS ())
            S: * 2 FETCH (UID 2 FLAGS (\Seen))
            S: * 3 FETCH (UID 3 FLAGS ())
            S: f OK FETCH completed
            C: ap APPEND INBOX {10+}
            C: Subject:
            C: 
            S: * 4 EXISTS
            S: ap OK [APPENDUID {{inbox.UidValidity}} 4] APPEND completed
            C: st STORE 4 +FLAGS (\Deleted)
            S: * 4 FETCH (FLAGS (\Deleted))
            S: st OK STORE completed
            C: x EXPUNGE
            S: * 4 EXPUNGE
            S: x OK EXPUNGE completed
            C: s2 EXAMINE INBOX
            S: * OK [CLOSED] Previous mailbox closed
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS ()] Read-only mailbox
            S: * 3 EXISTS
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 5] *
            S: * LIST (\HasNoChildren) "/" INBOX
            S: s2 OK [READ-ONLY] EXAMINE completed
            """);
        // IMAP4rev1: the messages the IMAP4rev2 session saw are still new to it
        await Run(LogIn + $$"""

            C: s SELECT inbox
            S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
            S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
            S: * 3 EXISTS
            S: * 3 RECENT
            S: * OK [UNSEEN 1] First unseen
            S: * OK [UIDVALIDITY {{inbox.UidValidity}}] UIDs valid
            S: * OK [UIDNEXT 5] Predicted next UID
            S: s OK [READ-WRITE] SELECT completed
            C: f FETCH 1:* (UID FLAGS)
            S: * 1 FETCH (UID 1 FLAGS (\Recent))
            S: * 2 FETCH (UID 2 FLAGS (\Recent \Seen))
            S: * 3 FETCH (UID 3 FLAGS (\Recent))
            S: f OK FETCH completed
            C: ap APPEND INBOX {10+}
            C: Subject:
            C: 
            S: * 4 EXISTS
            S: * 4 RECENT
            S: ap OK [APPENDUID {{inbox.UidValidity}} 5] APPEND completed
            C: s2 EXAMINE INBOX
            S: * OK [CLOSED] Previous mailbox closed
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS ()] Read-only mailbox
            S: * 4 EXISTS
            S: * 0 RECENT
            S: * OK [UNSEEN 1] First unseen
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 6] *
            S: s2 OK [READ-ONLY] EXAMINE completed
            """);
    }

    [Fact]
    public async Task Recent_new_and_old_are_search_keys_in_imap4rev1_only_and_status_recent_too()
    {
        await harness.DeliverAsync("alice", "first");
        await harness.DeliverAsync("alice", "second", flags: MessageFlags.Seen);
        await Run(LogIn + """

            C: s SELECT INBOX
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 2 EXISTS
            S: * 2 RECENT
            S: * OK [UNSEEN 1] *
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 3] *
            S: s OK [READ-WRITE] SELECT completed
            C: r SEARCH RECENT
            S: * SEARCH 1 2
            S: r OK SEARCH completed
            C: n UID SEARCH NEW
            S: * SEARCH 1
            S: n OK UID SEARCH completed
            C: o SEARCH OR OLD SEEN
            S: * SEARCH 2
            S: o OK SEARCH completed
            C: st STATUS INBOX (MESSAGES RECENT DELETED SIZE)
            S: * STATUS INBOX (MESSAGES 2 RECENT 0 DELETED 0 SIZE …)
            S: st OK STATUS completed
            """);
        await Run(LogInRev2 + """

            C: s SELECT INBOX
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 2 EXISTS
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 3] *
            S: * LIST (\HasNoChildren) "/" INBOX
            S: s OK [READ-WRITE] SELECT completed
            C: r SEARCH RECENT
            S: r BAD RECENT, NEW and OLD are not IMAP4rev2 search keys
            C: n UID SEARCH NEW
            S: n BAD RECENT, NEW and OLD are not IMAP4rev2 search keys
            C: o SEARCH OR OLD SEEN
            S: o BAD RECENT, NEW and OLD are not IMAP4rev2 search keys
            C: so SORT (SUBJECT) UTF-8 NOT RECENT
            S: so BAD RECENT, NEW and OLD are not IMAP4rev2 search keys
            C: st STATUS INBOX (MESSAGES RECENT)
            S: st BAD Unknown STATUS item RECENT
            C: st2 STATUS INBOX (MESSAGES DELETED SIZE)
            S: * STATUS INBOX (MESSAGES 2 DELETED 0 SIZE …)
            S: st2 OK STATUS completed
            """);
    }

    [Fact]
    public async Task Search_answers_esearch_in_imap4rev2_and_search_in_imap4rev1_unless_return_is_given()
    {
        for (var i = 1; i <= 4; i++)
            await harness.DeliverAsync("alice", $"m{i}", flags: i % 2 == 0 ? MessageFlags.Seen : MessageFlags.None);
        const string examine = """

            C: s EXAMINE INBOX
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS ()] Read-only mailbox
            S: * 4 EXISTS
            """;
        await Run(LogIn + examine + """

            S: * 4 RECENT
            S: * OK [UNSEEN 1] *
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 5] *
            S: s OK [READ-ONLY] EXAMINE completed
            C: q1 SEARCH UNSEEN
            S: * SEARCH 1 3
            S: q1 OK SEARCH completed
            C: q2 UID SEARCH SEEN
            S: * SEARCH 2 4
            S: q2 OK UID SEARCH completed
            C: q3 SEARCH KEYWORD nothing
            S: * SEARCH
            S: q3 OK SEARCH completed
            C: q4 SEARCH RETURN (COUNT) UNSEEN
            S: * ESEARCH (TAG "q4") COUNT 2
            S: q4 OK SEARCH completed
            """);
        await Run(LogInRev2 + examine + """

            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 5] *
            S: * LIST (\HasNoChildren) "/" INBOX
            S: s OK [READ-ONLY] EXAMINE completed
            C: q1 SEARCH UNSEEN
            S: * ESEARCH (TAG "q1") ALL 1,3
            S: q1 OK SEARCH completed
            C: q2 UID SEARCH SEEN
            S: * ESEARCH (TAG "q2") UID ALL 2,4
            S: q2 OK UID SEARCH completed
            C: q3 SEARCH KEYWORD nothing
            S: * ESEARCH (TAG "q3")
            S: q3 OK SEARCH completed
            C: q3u UID SEARCH KEYWORD nothing
            S: * ESEARCH (TAG "q3u") UID
            S: q3u OK UID SEARCH completed
            C: q4 SEARCH RETURN (COUNT) UNSEEN
            S: * ESEARCH (TAG "q4") COUNT 2
            S: q4 OK SEARCH completed
            C: q5 SEARCH RETURN (SAVE) SEEN
            S: q5 OK SEARCH completed
            C: q6 UID SEARCH $ 3:*
            S: * ESEARCH (TAG "q6") UID ALL 4
            S: q6 OK UID SEARCH completed
            C: q7 SEARCH MODSEQ 1 1:2
            S: * OK [HIGHESTMODSEQ …] Highest
            S: * ESEARCH (TAG "q7") ALL 1:2 MODSEQ *
            S: q7 OK SEARCH completed
            """);
    }

    [Fact]
    public async Task Mailbox_names_are_utf8_in_imap4rev2_and_modified_utf7_in_imap4rev1_with_the_same_inbox_and_list_rules()
    {
        await Run(LogIn + """

            C: c1 CREATE "Gr&APwA3w-e/Sub"
            S: c1 OK CREATE completed
            C: l1 LIST "" "Gr*"
            S: * LIST (\HasChildren) "/" Gr&APwA3w-e
            S: * LIST (\HasNoChildren) "/" Gr&APwA3w-e/Sub
            S: l1 OK LIST completed
            C: su SUBSCRIBE "Gr&APwA3w-e/Sub"
            S: su OK SUBSCRIBE completed
            """);
        await Run(LogInRev2 + """

            C: l1 LIST "" "Gr*"
            S: * LIST (\HasChildren) "/" "Grüße"
            S: * LIST (\HasNoChildren) "/" "Grüße/Sub"
            S: l1 OK LIST completed
            C: l2 LIST "" "Gr&APwA3w-e*"
            S: l2 OK LIST completed
            C: c2 CREATE "Köln"
            S: c2 OK CREATE completed
            C: c3 CREATE "Gr&APwA3w-e"
            S: c3 OK CREATE completed
            C: c4 CREATE inbox
            S: c4 NO [ALREADYEXISTS] Mailbox already exists
            C: ls LSUB "" "*"
            S: * LSUB () "/" "Grüße/Sub"
            S: ls OK LSUB completed
            C: x1 LIST (SUBSCRIBED) "" "*"
            S: * LIST (\HasNoChildren \Subscribed) "/" "Grüße/Sub"
            S: x1 OK LIST completed
            C: d DELETE "Grüße/Sub"
            S: d OK DELETE completed
            C: x2 LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN)
            S: * LIST (\NonExistent \Subscribed) "/" "Grüße/Sub"
            S: x2 OK LIST completed
            C: i LIST "" "InBox"
            S: * LIST (\HasNoChildren) "/" INBOX
            S: i OK LIST completed
            C: st STATUS "grüße" (MESSAGES)
            S: * STATUS "Grüße" (MESSAGES 0)
            S: st OK STATUS completed
            C: s SELECT "grüße"
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 0 EXISTS
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 1] *
            S: * LIST (\HasNoChildren) "/" "Grüße"
            S: s OK [READ-WRITE] SELECT completed
            C: s2 EXAMINE iNbOx
            S: * OK [CLOSED] Previous mailbox closed
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS ()] *
            S: * 0 EXISTS
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 1] *
            S: * LIST (\HasNoChildren) "/" INBOX
            S: s2 OK [READ-ONLY] EXAMINE completed
            """);
        await Run(LogIn + """

            C: l1 LIST "" (Gr* K*)
            S: * LIST (\HasNoChildren) "/" Gr&-APwA3w-e
            S: * LIST (\HasNoChildren) "/" Gr&APwA3w-e
            S: * LIST (\HasNoChildren) "/" K&APY-ln
            S: l1 OK LIST completed
            """);
    }

    [Fact]
    public async Task New_mailbox_names_are_stored_in_nfc_without_control_characters_and_a_denormalised_name_selects_with_oldname()
    {
        const string Decomposed = "Gru\u0308\u00dfe", NextLine = "\u0085", LineSeparator = "\u2028";
        await Run(LogInRev2 + $$"""

            C: c1 CREATE "{{Decomposed}}"
            S: c1 OK CREATE completed
            C: l1 LIST "" "Gr*"
            S: * LIST (\HasNoChildren) "/" "Grüße"
            S: l1 OK LIST completed
            C: c2 CREATE "Grüße"
            S: c2 NO [ALREADYEXISTS] Mailbox already exists
            C: c3 CREATE "a{{NextLine}}b"
            S: c3 NO [CANNOT] Mailbox names cannot hold control characters or line separators
            C: c4 CREATE "a{{LineSeparator}}b"
            S: c4 NO [CANNOT] *
            C: s SELECT "{{Decomposed}}"
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 0 EXISTS
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 1] *
            S: * LIST (\HasNoChildren) "/" "Grüße" ("OLDNAME" ("{{Decomposed}}"))
            S: s OK [READ-WRITE] SELECT completed
            C: s2 SELECT "Grüße"
            S: * OK [CLOSED] *
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 0 EXISTS
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 1] *
            S: * LIST (\HasNoChildren) "/" "Grüße"
            S: s2 OK [READ-WRITE] SELECT completed
            """);
        // octets that are not UTF-8 cannot name a new mailbox; modified UTF-7 cannot smuggle in a control character
        await Transcript.RunAsync(harness.Session(), LogInRev2 + """

            C: c5 CREATE "Grü"
            S: c5 BAD Mailbox name is not valid UTF-8
            """, System.Text.Encoding.Latin1);
        await Run(LogIn + """

            C: c6 CREATE "a&AAE-b"
            S: c6 NO [CANNOT] Mailbox names cannot hold control characters or line separators
            """);
    }

    [Fact]
    public async Task Changes_pushed_during_idle_carry_no_recent_in_imap4rev2()
    {
        // the IMAP4rev1 side is SessionTests.Changes_from_elsewhere_reach_an_idling_session_and_expunges_wait_for_an_allowed_point
        await harness.DeliverAsync("alice", "one");
        var toServer = new System.IO.Pipelines.Pipe();
        var toClient = new System.IO.Pipelines.Pipe();
        var session = harness.Session()(new Duplex(toServer.Reader, toClient.Writer));
        using var reader = new StreamReader(toClient.Reader.AsStream());
        async Task Send(string line) => await toServer.Writer.WriteAsync(System.Text.Encoding.ASCII.GetBytes(line + "\r\n"));
        async Task<string> Line() => (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!;
        async Task Until(string prefix) { while (!(await Line()).StartsWith(prefix, StringComparison.Ordinal)) { } }

        await Line();
        await Send("a LOGIN alice pw");
        await Until("a OK");
        await Send("e ENABLE IMAP4rev2");
        await Until("e OK");
        await Send("s SELECT INBOX");
        await Until("s OK");
        await Send("i IDLE");
        Assert.Equal("+ idling", await Line());

        await harness.DeliverAsync("alice", "two");
        Assert.Equal("* 2 EXISTS", await Line());
        var inbox = await harness.FolderAsync("alice");
        await harness.Store.SetFlagsAsync(inbox.Id, [1], new FlagChange(FlagOperation.Add, MessageFlags.Flagged, []));
        Assert.Equal("* 1 FETCH (UID 1 FLAGS (\\Flagged))", await Line());
        await Send("DONE");
        Assert.Equal("i OK IDLE terminated", await Line());
        await Send("l LOGOUT");
        await Until("l OK");
        await toServer.Writer.CompleteAsync();
        await session.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Enable_imap4rev2_after_select_drops_recent_from_the_selected_mailbox()
    {
        await harness.DeliverAsync("alice", "one");
        await Run(LogIn + """

            C: s SELECT INBOX
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 1 EXISTS
            S: * 1 RECENT
            S: * OK [UNSEEN 1] *
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 2] *
            S: s OK [READ-WRITE] SELECT completed
            C: f1 FETCH 1 FLAGS
            S: * 1 FETCH (FLAGS (\Recent))
            S: f1 OK FETCH completed
            C: e ENABLE IMAP4rev2
            S: * ENABLED IMAP4rev2
            S: e OK ENABLE completed
            C: f2 FETCH 1 FLAGS
            S: * 1 FETCH (FLAGS ())
            S: f2 OK FETCH completed
            C: q SEARCH ALL
            S: * ESEARCH (TAG "q") ALL 1
            S: q OK SEARCH completed
            """);
    }

    const string GlobalMessage = "From: a@example.com\r\nSubject: outer\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
        + "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        + "--b\r\nContent-Type: message/global\r\n\r\nFrom: J\u00fcrgen <jm@example.de>\r\nSubject: Gr\u00fc\u00dfe\r\n\r\nHallo\r\n"
        + "--b\r\nContent-Type: message/global\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp5DQo=\r\n"
        + "--b--\r\n";

    [Fact]
    public async Task Message_global_is_a_message_in_imap4rev2_and_an_opaque_part_in_imap4rev1()
    {
        await harness.DeliverRawAsync("alice", GlobalMessage);
        const string select = """

            C: s EXAMINE INBOX
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS ()] *
            S: * 1 EXISTS
            """;
        await Run(LogIn + select + """

            S: * 1 RECENT
            S: * OK [UNSEEN 1] *
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 2] *
            S: s OK [READ-ONLY] EXAMINE completed
            C: f1 FETCH 1 BODYSTRUCTURE
            S: * 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 2 0 NIL NIL NIL NIL)("message" "global" NIL NIL NIL "7bit" 56 NIL NIL NIL NIL)("message" "global" NIL NIL NIL "base64" 24 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL))
            S: f1 OK FETCH completed
            C: f2 FETCH 1 (BODY[2.HEADER] BINARY.SIZE[2])
            S: * 1 FETCH (BODY[2.HEADER] {0}
            S:  BINARY.SIZE[2] 56)
            S: f2 OK FETCH completed
            """);
        await Run(LogInRev2 + select + """

            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 2] *
            S: * LIST (\HasNoChildren) "/" INBOX
            S: s OK [READ-ONLY] EXAMINE completed
            C: f1 FETCH 1 BODYSTRUCTURE
            S: * 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 2 0 NIL NIL NIL NIL)("message" "global" NIL NIL NIL "7bit" 56 (NIL "Grüße" (("Jürgen" NIL "jm" "example.de")) (("Jürgen" NIL "jm" "example.de")) (("Jürgen" NIL "jm" "example.de")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)("application" "octet-stream" NIL NIL NIL "base64" 24 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL))
            S: f1 OK FETCH completed
            C: f2 FETCH 1 (BODY[2.HEADER] BINARY.SIZE[2])
            S: * 1 FETCH (BODY[2.HEADER] {51}
            S: From: Jürgen <jm@example.de>
            S: Subject: Grüße
            S: 
            S:  BINARY.SIZE[2] 56)
            S: f2 OK FETCH completed
            """);
    }

    sealed class Duplex(System.IO.Pipelines.PipeReader input, System.IO.Pipelines.PipeWriter output) : System.IO.Pipelines.IDuplexPipe
    {
        public System.IO.Pipelines.PipeReader Input { get; } = input;
        public System.IO.Pipelines.PipeWriter Output { get; } = output;
    }
}
