using System.Text;
using Rookery.Imap.Protocol;
using Rookery.Testing;

namespace Rookery.Imap.Tests;

/// <summary>What a misbehaving client gets: protocol-correct refusals, a session that goes on, and no stored damage.</summary>
public sealed class HostileTests : IAsyncLifetime
{
    ImapHarness harness = null!;

    public async Task InitializeAsync()
    {
        harness = await ImapHarness.CreateAsync();
        harness.Services = harness.Services with
        {
            Options = harness.Services.Options with { Limits = new ParserLimits { MaxLineLength = 8192, MaxLiteralSize = 1000, MaxNonSyncLiteralSize = 1000, MaxNesting = 20 }, MaxBadCommands = 5 },
        };
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    const string LoggedIn = """
        S: * OK *
        C: a LOGIN alice pw
        S: a OK *
        """;

    [Fact]
    public async Task Literals_over_appendlimit_and_long_lines_are_refused_and_the_session_goes_on()
    {
        await harness.DeliverAsync("alice", "only");
        await Transcript.RunAsync(harness.Session(), LoggedIn + "\n" + $$"""
            C: b1 APPEND INBOX {1001}
            S: b1 NO [TOOBIG] Literal of 1001 octets exceeds the limit of 1000
            C: b2 APPEND INBOX {2000+}
            C: {{new string('x', 2000)}}
            S: b2 NO [TOOBIG] *
            C: b3 NOOP {{new string('y', 100_000)}}
            S: b3 BAD Command line too long
            C: b4 CREATE "&Jjo-&Jjo"
            S: b4 BAD Mailbox name is not valid modified UTF-7
            C: b5 SELECT INBOX
            S: * FLAGS *
            S: * OK *
            S: * 1 EXISTS
            S: * 1 RECENT
            S: * OK [UNSEEN 1] *
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 2] *
            S: b5 OK [READ-WRITE] SELECT completed
            C: b6 FETCH 1:4294967295 (UID)
            S: b6 BAD Invalid message sequence number
            C: b7 UID FETCH 1:4294967295 (UID)
            S: * 1 FETCH (UID 1)
            S: b7 OK UID FETCH completed
            C: b8 SEARCH {{new string('(', 30)}}ALL{{new string(')', 30)}}
            S: b8 BAD Too deeply nested
            C: b9 SEARCH NOT NOT NOT ALL
            S: * SEARCH
            S: b9 OK SEARCH completed
            """);
        Assert.Single(await harness.Store.ListItemsAsync((await harness.FolderAsync("alice")).Id)); // nothing half-appended
    }

    [Fact]
    public async Task An_unknown_command_flood_is_cut_off()
    {
        await Transcript.RunAsync(harness.Session(), """
            S: * OK *
            C: x1 BLAH
            C: x2 BLAH
            C: x3 BLAH
            C: x4 BLAH
            C: x5 BLAH
            C: x6 BLAH
            S: x1 BAD Unknown command BLAH
            S: x2 BAD Unknown command BLAH
            S: x3 BAD Unknown command BLAH
            S: x4 BAD Unknown command BLAH
            S: x5 BAD Unknown command BLAH
            S: * BYE Too many invalid commands
            S: <closed>
            """);
    }

    [Fact]
    public async Task Commands_in_the_wrong_state_count_as_bad_and_the_flood_ends_the_connection()
    {
        await Transcript.RunAsync(harness.Session(), """
            S: * OK *
            C: x1 SELECT INBOX
            C: x2 FETCH 1 FLAGS
            C: x3 CHECK
            C: x4 BLAH
            C: x5 EXPUNGE
            C: x6 NOOP
            S: x1 BAD SELECT: Log in first
            S: x2 BAD FETCH: Log in first
            S: x3 BAD CHECK: Log in first
            S: x4 BAD Unknown command BLAH
            S: x5 BAD EXPUNGE: Log in first
            S: * BYE Too many invalid commands
            S: <closed>
            """);
    }

    [Fact]
    public async Task An_unterminated_literal_ends_with_the_connection_and_stores_nothing()
    {
        await Transcript.RunAsync(harness.Session(), LoggedIn + "\n" + """
            C: u APPEND INBOX {500+}
            C: Subject: cut off
            """);
        Assert.Empty(await harness.Store.ListItemsAsync((await harness.FolderAsync("alice")).Id));
    }

    [Fact]
    public async Task An_authenticated_session_that_sends_nothing_is_logged_out_after_the_idle_timeout()
    {
        harness.Services = harness.Services with { Options = harness.Services.Options with { IdleTimeout = TimeSpan.FromMilliseconds(300) } };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Transcript.RunAsync(harness.Session(), """
            S: * OK *
            # sent together, so that a slow machine's pause between them is not taken for idleness
            C: a LOGIN alice pw
            C: s SELECT INBOX
            S: a OK *
            S: * FLAGS *
            S: * OK [PERMANENTFLAGS *
            S: * 0 EXISTS
            S: * 0 RECENT
            S: * OK [UIDVALIDITY *
            S: * OK [UIDNEXT 1] Predicted next UID
            S: s OK [READ-WRITE] SELECT completed
            S: * BYE Autologout; idle for too long
            """);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(290), $"logged out after {watch.Elapsed}");
    }

    [Fact]
    public async Task Sessions_per_user_are_limited()
    {
        harness.Services = harness.Services with { UserSessions = new Common.ConnectionCounter(1) };
        var first = new System.IO.Pipelines.Pipe();
        var firstOut = new System.IO.Pipelines.Pipe();
        var running = harness.Session()(new Duplex(first.Reader, firstOut.Writer));
        await first.Writer.WriteAsync(Encoding.ASCII.GetBytes("a LOGIN alice pw\r\n"));
        using var reader = new StreamReader(firstOut.Reader.AsStream());
        while (await reader.ReadLineAsync() is { } line && !line.StartsWith("a OK", StringComparison.Ordinal)) { }

        await Transcript.RunAsync(harness.Session(), """
            S: * OK *
            C: a LOGIN alice pw
            S: a NO [LIMIT] Too many IMAP connections for this user (at most 1)
            """);
        await first.Writer.CompleteAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        await Transcript.RunAsync(harness.Session(), LoggedIn); // the place is free again
    }

    sealed class Duplex(System.IO.Pipelines.PipeReader input, System.IO.Pipelines.PipeWriter output) : System.IO.Pipelines.IDuplexPipe
    {
        public System.IO.Pipelines.PipeReader Input { get; } = input;
        public System.IO.Pipelines.PipeWriter Output { get; } = output;
    }
}
