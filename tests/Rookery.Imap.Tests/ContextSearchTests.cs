using Rookery.Store;
using Rookery.Testing;

namespace Rookery.Imap.Tests;

/// <summary>
/// CONTEXT=SEARCH (RFC 5267 §4): PARTIAL results, and searches the server keeps up to date — ADDTO and
/// REMOVEFROM as messages change, arrive and go, from this session or another, until CANCELUPDATE or another
/// SELECT. imaptest's search-context-update and search-partial scripts run too; these add what they leave out.
/// </summary>
public sealed class ContextSearchTests : IAsyncLifetime
{
    ImapHarness harness = null!;

    public async Task InitializeAsync()
    {
        harness = await ImapHarness.CreateAsync();
        for (var i = 1; i <= 5; i++)
            await harness.DeliverAsync("alice", $"message {i}", flags: i <= 2 ? MessageFlags.Seen : MessageFlags.None);
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Fact]
    public async Task PARTIAL_returns_a_window_of_the_result_counted_from_either_end()
    {
        await Transcript.RunAsync(harness.Session(), $$"""
            {{ImapHarness.InboxSelected}}
            C: c CAPABILITY
            S: * CAPABILITY … ESEARCH CONTEXT=SEARCH …
            S: c OK CAPABILITY completed
            C: d SEARCH RETURN (PARTIAL 2:3) ALL
            S: * ESEARCH (TAG "d") PARTIAL (2:3 2:3)
            S: d OK SEARCH completed
            C: e UID SEARCH RETURN (PARTIAL -1:-2 COUNT) UNSEEN
            S: * ESEARCH (TAG "e") UID PARTIAL (-1:-2 4:5) COUNT 3
            S: e OK UID SEARCH completed
            C: f SEARCH RETURN (PARTIAL 7:4) ALL
            S: * ESEARCH (TAG "f") PARTIAL (4:7 4:5)
            S: f OK SEARCH completed
            C: g SEARCH RETURN (PARTIAL 9:10) ALL
            S: * ESEARCH (TAG "g") PARTIAL (9:10 NIL)
            S: g OK SEARCH completed
            C: h SEARCH RETURN (PARTIAL 0:2) ALL
            S: h BAD *
            C: i SEARCH RETURN (PARTIAL -1:2) ALL
            S: i BAD *
            C: j SEARCH RETURN (PARTIAL 1:2 ALL) ALL
            S: j BAD *
            C: k SORT RETURN (PARTIAL 1:2) (DATE) UTF-8 ALL
            S: k BAD *
            """);
    }

    [Fact]
    public async Task An_updated_search_follows_this_sessions_stores_appends_and_expunges_until_cancelled()
    {
        await Transcript.RunAsync(harness.Session(), $$"""
            {{ImapHarness.InboxSelected}}
            C: c SEARCH RETURN (UPDATE ALL) SEEN
            S: * ESEARCH (TAG "c") ALL 1:2
            S: c OK SEARCH completed
            C: c2 SEARCH RETURN (UPDATE ALL) 1:2
            S: * ESEARCH (TAG "c2") ALL 1:2
            S: * NO [NOUPDATE "c2"] *
            S: c2 OK SEARCH completed
            C: d UID SEARCH RETURN (UPDATE) UNSEEN
            S: * ESEARCH (TAG "d") UID
            S: d OK UID SEARCH completed
            C: e STORE 2:3 FLAGS.SILENT (\Seen)
            S: * ESEARCH (TAG "c") ADDTO (0 3)
            S: * ESEARCH (TAG "d") UID REMOVEFROM (0 3)
            S: e OK STORE completed
            C: f STORE 1,4 +FLAGS.SILENT (\Deleted)
            S: f OK STORE completed
            C: g EXPUNGE
            S: * ESEARCH (TAG "c") REMOVEFROM (0 1)
            S: * ESEARCH (TAG "d") UID REMOVEFROM (0 4)
            S: * 4 EXPUNGE
            S: * 1 EXPUNGE
            S: * 3 RECENT
            S: g OK EXPUNGE completed
            C: h APPEND INBOX (\Seen) {12+}
            C: Subject: new
            S: * 4 EXISTS
            S: * 4 RECENT
            S: * ESEARCH (TAG "c") ADDTO (0 4)
            S: h OK [APPENDUID … 6] APPEND completed
            C: i CANCELUPDATE "c"
            S: i OK CANCELUPDATE completed
            C: j CANCELUPDATE "c"
            S: j BAD *
            C: k STORE 4 -FLAGS.SILENT (\Seen)
            S: * ESEARCH (TAG "d") UID ADDTO (0 6)
            S: k OK STORE completed
            C: l SELECT INBOX
            S: * OK [CLOSED] *
            S: …
            S: …
            S: …
            S: …
            S: …
            S: …
            S: …
            S: l OK [READ-WRITE] SELECT completed
            C: m STORE 1 +FLAGS.SILENT (\Seen)
            S: m OK STORE completed
            C: n CANCELUPDATE "d"
            S: n BAD *
            """);
    }
}
