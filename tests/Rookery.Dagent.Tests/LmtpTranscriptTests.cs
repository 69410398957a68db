using System.Text;
using Rookery.Store;
using Rookery.Store.Sql;
using Rookery.Store.Tests;
using Rookery.Testing;

namespace Rookery.Dagent.Tests;

public sealed class LmtpTranscriptTests : IAsyncLifetime
{
    DeliveryHarness harness = null!;
    SqlMailStore store = null!;
    DeliveryAgent agent = null!;

    public async Task InitializeAsync()
    {
        harness = await DeliveryHarness.CreateAsync();
        (store, agent) = (harness.Store, harness.Agent);
        // fill "full" to within a few bytes of its 1 MiB
        var filler = new string('x', 1_048_500);
        await agent.DeliverAsync("", ["full@example.com"], new MemoryStream(Encoding.ASCII.GetBytes("Subject: f\r\n\r\n" + filler)));
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    Task Run(string script, LmtpLimits? limits = null) =>
        Transcript.RunAsync(async pipe =>
        {
            using var session = new LmtpSession(pipe, agent, "mx.test", limits ?? new LmtpLimits());
            await session.RunAsync(CancellationToken.None);
        }, script);

    async Task<List<string>> Inbox(string login)
    {
        var result = new List<string>();
        foreach (var item in await harness.ItemsOf(login))
            result.Add(Encoding.Latin1.GetString(await store.ReadAllAsync(item)));
        return result;
    }

    [Fact]
    public async Task A_message_larger_than_the_memory_limit_is_spooled_to_a_private_file_and_stored_intact()
    {
        var spool = System.IO.Directory.CreateTempSubdirectory("rookery-spool-").FullName;
        try
        {
            var lines = Enumerable.Range(0, 2000).Select(i => $"line {i} " + new string((char)('a' + i % 26), 60)).ToList();
            lines[700] = ".leading dot";
            await Run($"""
                S: 220 *
                C: LHLO client
                S: 250-*
                S: 250-*
                S: 250-*
                S: 250-*
                S: 250 *
                C: MAIL FROM:<s@example.net>
                S: 250 *
                C: RCPT TO:<bob@example.com>
                S: 250 *
                C: DATA
                S: 354 *
                C: Subject: big
                C:
                {string.Join("\n", lines.Select(l => "C: " + (l.StartsWith('.') ? "." + l : l)))}
                C: .
                S: 250 2.1.5 <bob@example.com> delivered
                C: QUIT
                S: 221 *
                """, new LmtpLimits { SpoolDirectory = spool, SpoolMemoryLimit = 4096 });
            var expected = "Return-Path: <s@example.net>\r\nDelivered-To: bob@example.com\r\nSubject: big\r\n\r\n" + string.Join("", lines.Select(l => l + "\r\n"));
            Assert.Equal(expected, Assert.Single(await Inbox("bob")));
            Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(spool)); // the spool file is gone
        }
        finally
        {
            System.IO.Directory.Delete(spool, recursive: true);
        }
    }

    [Fact]
    public async Task Pipelined_transaction_with_mixed_recipients_gets_one_reply_per_accepted_recipient()
    {
        await Run("""
            S: 220 mx.test Rookery LMTP ready
            C: LHLO postfix.test
            S: 250-mx.test
            S: 250-PIPELINING
            S: 250-ENHANCEDSTATUSCODES
            S: 250-8BITMIME
            S: 250 SIZE *
            C: MAIL FROM:<sender@example.net> BODY=8BITMIME
            C: RCPT TO:<alice@example.com>
            C: RCPT TO:<nobody@example.com>
            C: RCPT TO:<full@example.com>
            C: RCPT TO:<BOB@example.com>
            C: DATA
            S: 250 2.1.0 Sender ok
            S: 250 2.1.5 <alice@example.com> ok
            S: 550 5.1.1 <nobody@example.com>: no such user here
            S: 250 2.1.5 <full@example.com> ok
            S: 250 2.1.5 <BOB@example.com> ok
            S: 354 *
            C: Subject: pipelined
            C:
            C: Hello all.
            C: .
            S: 250 2.1.5 <alice@example.com> delivered
            S: 552 5.2.2 <full@example.com>: mailbox full
            S: 250 2.1.5 <BOB@example.com> delivered
            C: QUIT
            S: 221 2.0.0 *
            """);
        Assert.Single(await Inbox("alice"));
        Assert.Single(await Inbox("bob"));
    }

    [Fact]
    public async Task Leading_dots_are_unstuffed_and_8bit_bodies_kept()
    {
        await Run($"""
            S: 220 *
            C: LHLO a
            S: 250-mx.test
            S: 250-*
            S: 250-*
            S: 250-*
            S: 250 *
            C: MAIL FROM:<>
            S: 250 *
            C: RCPT TO:<alice@example.com>
            S: 250 *
            C: DATA
            S: 354 *
            C: Subject: dots
            C:
            C: ..one dot
            C: ...
            C: caf{"\u00e9"}
            C: .
            S: 250 2.1.5 <alice@example.com> delivered
            C: QUIT
            S: 221 *
            """);
        var message = Assert.Single(await Inbox("alice"));
        Assert.Equal("Return-Path: <>\r\nDelivered-To: alice@example.com\r\nSubject: dots\r\n\r\n.one dot\r\n..\r\ncaf\u00e9\r\n", message);
    }

    [Fact]
    public async Task An_oversized_message_is_refused_after_data_and_the_session_goes_on()
    {
        var big = new string('y', 3000);
        await Run($"""
            S: 220 *
            C: LHLO a
            S: 250-mx.test
            S: 250-*
            S: 250-*
            S: 250-*
            S: 250 SIZE 2000
            C: MAIL FROM:<x@example.net> SIZE=5000
            S: 552 5.3.4 *
            C: MAIL FROM:<x@example.net>
            S: 250 *
            C: RCPT TO:<alice@example.com>
            S: 250 *
            C: DATA
            S: 354 *
            C: Subject: big
            C:
            C: {big}
            C: .
            S: 552 5.3.4 *
            C: NOOP
            S: 250 2.0.0 Ok
            """, new LmtpLimits { MaxMessageSize = 2000 });
        Assert.Empty(await Inbox("alice"));
    }

    [Fact]
    public async Task Commands_out_of_order_and_malformed_lines_get_errors_without_closing()
    {
        var longLine = "NOOP " + new string('z', 2000);
        await Run($"""
            S: 220 *
            C: MAIL FROM:<a@example.net>
            S: 503 5.5.1 Say LHLO first
            C: HELO client
            S: 500 5.5.1 This is LMTP: say LHLO
            C: LHLO client
            S: 250-*
            S: 250-*
            S: 250-*
            S: 250-*
            S: 250 *
            C: RCPT TO:<alice@example.com>
            S: 503 5.5.1 Need MAIL before RCPT
            C: DATA
            S: 503 5.5.1 *
            C: {longLine}
            S: 500 5.5.2 Line too long
            C: MAIL FROM:<a@example.net>
            S: 250 *
            C: RCPT TO:<nobody@example.com>
            S: 550 5.1.1 *
            C: DATA
            S: 503 5.5.1 No valid recipients
            C: RSET
            S: 250 2.0.0 Ok
            C: QUIT
            S: 221 *
            """);
    }

    [Fact]
    public async Task A_client_that_keeps_sending_garbage_is_disconnected()
    {
        await Run("""
            S: 220 *
            C: FOO
            C: BAR
            C: BAZ
            S: 500 5.5.1 Command unrecognized
            S: 500 5.5.1 Command unrecognized
            S: 500 5.5.1 Command unrecognized
            S: 421 4.7.0 *
            """, new LmtpLimits { MaxErrors = 3 });
    }
}
