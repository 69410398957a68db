using Rookery.Store;
using Rookery.Testing;

namespace Rookery.Imap.Tests;

/// <summary>
/// CATENATE (RFC 4469): a message put together from literal text and parts of stored messages named by IMAP
/// URLs (RFC 5092) — a forward that carries an attachment without the client downloading it. imaptest's
/// catenate scripts cover the URL forms; these cover what they do not: a MIME part by its number, URLs the
/// user may not follow, and that a failed CATENATE appends nothing.
/// </summary>
public sealed class CatenateTests : IAsyncLifetime
{
    ImapHarness harness = null!;

    public async Task InitializeAsync()
    {
        harness = await ImapHarness.CreateAsync();
        await harness.DeliverRawAsync("alice", string.Join("\r\n",
            "From: a@example.net", "Subject: report", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=b", "",
            "--b", "Content-Type: text/plain", "", "See attached.",
            "--b", "Content-Type: application/pdf; name=r.pdf", "Content-Transfer-Encoding: base64", "", "JVBERi0=",
            "--b--", ""));
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    Task Run(string script) => Transcript.RunAsync(harness.Session(), script);

    [Fact]
    public async Task A_forward_takes_the_attachment_from_the_stored_message_by_part_number()
    {
        var inbox = await harness.FolderAsync("alice");
        await Run($$"""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: b CAPABILITY
            S: * CAPABILITY … MULTIAPPEND CATENATE …
            S: b OK CAPABILITY completed
            C: c APPEND Drafts (\Draft) CATENATE (TEXT {162+}
            C: From: alice@example.com
            C: Subject: Fwd: report
            C: MIME-Version: 1.0
            C: Content-Type: multipart/mixed; boundary=c
            C:
            C: --c
            C: Content-Type: text/plain
            C:
            C: Here it is.
            C: --c
            C:  URL "/INBOX;UIDVALIDITY={{inbox.UidValidity}}/;UID=1/;SECTION=2.MIME" URL "imap://alice@mail.example.com/INBOX/;uid=1/;section=2" TEXT {9+}
            C:
            C: --c--
            C: )
            S: c OK [APPENDUID … 1] APPEND completed
            C: d SELECT Drafts
            S: …
            S: …
            S: …
            S: …
            S: …
            S: …
            S: …
            S: d OK [READ-WRITE] SELECT completed
            C: e FETCH 1 (FLAGS RFC822.SIZE BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[2])
            S: * 1 FETCH (FLAGS (\Recent \Draft) RFC822.SIZE 259 BODY[1] {11}
            S: Here it is. BODY[2.MIME] {80}
            S: Content-Type: application/pdf; name=r.pdf
            S: Content-Transfer-Encoding: base64
            S: 
            S:  BODY[2] {8}
            S: JVBERi0=)
            S: e OK FETCH completed
            """);
    }

    /// <summary>
    /// RFC 4469 §5: a URL that names nothing the user may read fails the APPEND with NO [BADURL "url"], and
    /// nothing is appended, in a MULTIAPPEND the messages before it neither. A mailbox that does not exist
    /// is answered first, with TRYCREATE.
    /// </summary>
    [Fact]
    public async Task A_URL_the_user_may_not_follow_fails_the_whole_APPEND_with_BADURL()
    {
        var bobs = await harness.FolderAsync("bob");
        await Run($$"""
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            C: b APPEND Drafts CATENATE (URL "/INBOX;UIDVALIDITY=1/;UID=1")
            S: b NO [BADURL "/INBOX;UIDVALIDITY=1/;UID=1"] *
            C: c APPEND Drafts CATENATE (URL "/INBOX/;UID=7")
            S: c NO [BADURL "/INBOX/;UID=7"] *
            C: d APPEND Drafts CATENATE (URL "/Nowhere/;UID=1")
            S: d NO [BADURL "/Nowhere/;UID=1"] *
            C: e APPEND Drafts CATENATE (URL "/INBOX/;UID=1/;SECTION=9")
            S: e NO [BADURL "/INBOX/;UID=1/;SECTION=9"] *
            C: f APPEND Drafts CATENATE (URL "imap://bob@localhost/INBOX;UIDVALIDITY={{bobs.UidValidity}}/;UID=1")
            S: f NO [BADURL *
            C: g APPEND Drafts CATENATE (URL "/Other%20Users/bob/INBOX/;UID=1")
            S: g NO [BADURL *
            C: h APPEND Drafts CATENATE (URL "imap://alice;AUTH=*@localhost/INBOX/;UID=1/;URLAUTH=anonymous:internal:0123456789abcdef0123456789abcdef")
            S: h NO [BADURL *
            C: i APPEND Drafts CATENATE (TEXT {12+}
            C: Subject: x
            C:  URL "/INBOX/;UID=1/;SECTION=TEXT") CATENATE (URL "/INBOX/;UID=2")
            S: i NO [BADURL "/INBOX/;UID=2"] *
            C: j APPEND Nowhere CATENATE (URL "/INBOX/;UID=7")
            S: j NO [TRYCREATE] *
            C: k APPEND Drafts CATENATE (TEXT "x")
            S: k BAD *
            C: l STATUS Drafts (MESSAGES)
            S: * STATUS Drafts (MESSAGES 0)
            S: l OK STATUS completed
            """);
    }
}
