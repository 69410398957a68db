using Rookery.Testing;

namespace Rookery.Imap.Tests;

public sealed class SortThreadTests : IAsyncLifetime
{
    ImapHarness harness = null!;

    public async Task InitializeAsync() => harness = await ImapHarness.CreateAsync();

    public async Task DisposeAsync() => await harness.DisposeAsync();

    Task Deliver(int day, string subject, string from, string id, string? references = null, int bodySize = 10) =>
        harness.DeliverRawAsync("alice",
            $"From: {from}\r\nSubject: {subject}\r\nDate: {day:00} Mar 2026 10:00:00 +0000\r\nMessage-ID: {id}\r\n" +
            (references is null ? "" : $"References: {references}\r\n") + $"\r\n{new string('x', bodySize)}\r\n");

    const string Login = """
        S: * OK *
        C: a LOGIN alice pw
        S: a OK *
        C: s EXAMINE INBOX
        S: * FLAGS *
        S: * OK [PERMANENTFLAGS ()] *
        S: * 5 EXISTS
        S: * 5 RECENT
        S: * OK [UNSEEN 1] *
        S: * OK [UIDVALIDITY *
        S: * OK [UIDNEXT 6] *
        S: s OK [READ-ONLY] EXAMINE completed
        """;

    [Fact]
    public async Task Sort_by_base_subject_size_date_and_from()
    {
        await Deliver(3, "beta", "Zed <zed@example.net>", "<1@x>", bodySize: 50);
        await Deliver(1, "Re: [list] alpha", "amy@example.net", "<2@x>", bodySize: 10);
        await Deliver(5, "Fwd: gamma (fwd)", "Bob <bob@example.net>", "<3@x>", bodySize: 30);
        await Deliver(2, "alpha", "carl@example.net", "<4@x>", bodySize: 10);
        await Deliver(4, "RE: Re: beta", "amy@example.net", "<5@x>", bodySize: 20);
        await Transcript.RunAsync(harness.Session(), Login + "\n" + """
            C: s1 SORT (SUBJECT) UTF-8 ALL
            S: * SORT 2 4 1 5 3
            S: s1 OK SORT completed
            C: s2 SORT (REVERSE SIZE) UTF-8 ALL
            S: * SORT 1 3 5 2 4
            S: s2 OK SORT completed
            C: s3 UID SORT (DATE) US-ASCII NOT SUBJECT gamma
            S: * SORT 2 4 1 5
            S: s3 OK UID SORT completed
            C: s4 SORT (FROM REVERSE DATE) UTF-8 ALL
            S: * SORT 5 2 3 4 1
            S: s4 OK SORT completed
            C: s5 SORT (REVERSE) UTF-8 ALL
            S: s5 BAD Invalid sort criteria
            """);
    }

    [Fact]
    public async Task Threads_by_subject_and_by_references()
    {
        await Deliver(1, "plan", "a@example.net", "<1@x>");
        await Deliver(2, "Re: plan", "b@example.net", "<2@x>", "<1@x>");
        await Deliver(3, "other", "c@example.net", "<3@x>");
        await Deliver(4, "Re: plan", "d@example.net", "<4@x>", "<1@x> <2@x>");
        await Deliver(5, "Re: other", "e@example.net", "<5@x>");
        await Transcript.RunAsync(harness.Session(), Login + "\n" + """
            C: t1 THREAD ORDEREDSUBJECT UTF-8 ALL
            S: * THREAD (1 (2)(4))(3 5)
            S: t1 OK THREAD completed
            C: t2 THREAD REFERENCES UTF-8 ALL
            S: * THREAD (1 2 4)(3 5)
            S: t2 OK THREAD completed
            C: t3 UID THREAD REFERENCES UTF-8 NOT FROM b
            S: * THREAD (1 4)(3 5)
            S: t3 OK UID THREAD completed
            """);
    }
}
