using System.Text;
using Rookery.Directory;
using Rookery.Store;
using Rookery.Store.Sql;
using Rookery.Store.Tests;
using Rookery.Testing;

namespace Rookery.Pop3.Tests;

public sealed class Pop3SessionTests : IAsyncLifetime
{
    TestDatabase test = null!;
    SqlMailStore store = null!;
    Pop3Services services = null!;
    SqlDirectoryRepository repository = null!;
    FolderInfo inbox = null!;

    public async Task InitializeAsync()
    {
        test = await TestDatabase.CreateAsync();
        repository = new SqlDirectoryRepository(test.Database);
        var directory = new DbUserDirectory(repository);
        store = new SqlMailStore(test.Database, test.CreateBlobs(), new AccountQuotaPolicy(directory, QuotaLimits.None), new ChangeNotifier());
        var users = new UserStores(store, directory, "en");
        var hasher = new PasswordHasher(10_000);
        var alice = await repository.CreateUserAsync("db", "alice", hasher.Hash("pw"), new UserUpdate { Email = "alice@example.com" });
        await repository.CreateUserAsync("db", "bob", hasher.Hash("pw"), new UserUpdate { Email = "bob@example.com", DisableFeatures = ["pop3"] });
        services = new Pop3Services(store, users,
            new Authenticator(directory, ["imap"], new AuthenticationLimits { FailureDelay = TimeSpan.FromMilliseconds(10) }, TimeProvider.System),
            new Pop3Options { HostName = "pop.test" });
        inbox = (await store.ListFoldersAsync((await users.EnsureStoreAsync(alice)).Id)).Single(f => f.SpecialUse == SpecialUse.Inbox);
        await Deliver("Subject: one\r\n\r\nfirst body\r\n.leading dot\r\nline 3\r\n");
        await Deliver("Subject: two\r\n\r\nsecond\r\n");
    }

    public async Task DisposeAsync() => await test.DisposeAsync();

    async Task Deliver(string message)
    {
        using var staged = await store.StageAsync(new MemoryStream(Encoding.ASCII.GetBytes(message)));
        await store.AppendAsync(inbox.Id, staged, new AppendRequest());
    }

    Task Run(string script, bool plaintextAllowed = true) => Transcript.RunAsync(async pipe =>
    {
        using var session = new Pop3Session(pipe, services, new Pop3Connection("127.0.0.1", false, plaintextAllowed));
        await session.RunAsync(CancellationToken.None);
    }, script);

    /// <summary>A stop of the server ends a session waiting for its next command, and its DELEs, never confirmed by QUIT, are not applied.</summary>
    [Fact]
    public async Task A_server_stop_ends_the_session_without_applying_its_deletions()
    {
        using var stopping = new CancellationTokenSource();
        await Transcript.RunAsync(async pipe =>
        {
            using var session = new Pop3Session(pipe, services, new Pop3Connection("127.0.0.1", false, true) { Stopping = stopping.Token });
            await session.RunAsync(CancellationToken.None);
        }, """
            S: +OK pop.test Rookery POP3 ready
            C: USER alice
            S: +OK
            C: PASS pw
            S: +OK 2 messages
            C: DELE 1
            S: +OK *
            ! stop
            S: -ERR Server shutting down
            """, actions: _ => stopping.CancelAsync());
        Assert.Equal(2, (await store.ListItemsAsync(inbox.Id)).Count);
    }

    [Fact]
    public async Task An_over_long_line_is_refused_at_once_and_one_dribbled_out_without_its_end_times_out()
    {
        services = services with { Options = services.Options with { MaxLineLength = 600, LoginTimeout = TimeSpan.FromMilliseconds(500) } };
        var toServer = new System.IO.Pipelines.Pipe();
        var toClient = new System.IO.Pipelines.Pipe();
        using var session = new Pop3Session(new DuplexPipe(toServer.Reader, toClient.Writer), services, new Pop3Connection("127.0.0.1", false, true));
        var running = session.RunAsync(CancellationToken.None);
        using var reader = new StreamReader(toClient.Reader.AsStream(), Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.StartsWith("+OK", await reader.ReadLineAsync(timeout.Token));

        // a whole line over the limit: refused as soon as it is seen, and the command after it is answered
        await toServer.Writer.WriteAsync(Encoding.ASCII.GetBytes(new string('x', 1000) + "\r\nCAPA\r\n"), timeout.Token);
        Assert.Equal("-ERR Line too long", await reader.ReadLineAsync(timeout.Token));
        Assert.StartsWith("+OK", await reader.ReadLineAsync(timeout.Token));
        while (await reader.ReadLineAsync(timeout.Token) != ".") { }

        // a line that keeps coming without its end: refused once, then cut off by the timeout however busy the client is
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var dribbling = Task.Run(async () =>
        {
            for (var i = 0; i < 100 && !running.IsCompleted; i++)
            {
                await toServer.Writer.WriteAsync(new byte[100].Select(_ => (byte)'y').ToArray(), timeout.Token);
                await Task.Delay(50, timeout.Token);
            }
        }, timeout.Token);
        Assert.Equal("-ERR Line too long", await reader.ReadLineAsync(timeout.Token));
        Assert.Equal("-ERR Idle for too long, closing connection", await reader.ReadLineAsync(timeout.Token));
        await running.WaitAsync(timeout.Token);
        // the client would have gone on for 5 s; the session's timer started before this test's watch, so no lower bound
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"cut off after {watch.Elapsed}");
        await dribbling;
    }

    [Fact]
    public async Task A_session_lists_retrieves_and_deletes_at_quit_only()
    {
        await Run($$"""
            S: +OK pop.test Rookery POP3 ready
            C: USER alice
            S: +OK
            C: PASS wrong
            S: -ERR [AUTH] Invalid credentials
            C: USER alice
            C: PASS pw
            S: +OK
            S: +OK 2 messages
            C: STAT
            S: +OK 2 74
            C: LIST
            S: +OK
            S: 1 50
            S: 2 24
            S: .
            C: UIDL 2
            S: +OK 2 {{inbox.UidValidity:x}}.2
            C: TOP 1 1
            S: +OK
            S: Subject: one
            S: 
            S: first body
            S: .
            C: RETR 1
            S: +OK 50 octets
            S: Subject: one
            S: 
            S: first body
            S: ..leading dot
            S: line 3
            S: .
            C: DELE 1
            S: +OK Marked for deletion
            C: RETR 1
            S: -ERR Message is deleted
            C: STAT
            S: +OK 1 24
            C: RSET
            S: +OK 2 messages
            C: DELE 2
            S: +OK Marked for deletion
            C: QUIT
            S: +OK pop.test Rookery POP3 signing off (1 messages deleted)
            """);
        var left = Assert.Single(await store.ListItemsAsync(inbox.Id));
        Assert.Equal(1, left.Uid);
        Assert.True(left.Flags.HasFlag(MessageFlags.Seen)); // RETR marks it read, as other servers do
    }

    [Fact]
    public async Task Uidls_stay_the_same_from_session_to_session_and_noop_answers()
    {
        await Run($$"""
            S: +OK pop.test Rookery POP3 ready
            C: USER alice
            S: +OK
            C: PASS pw
            S: +OK 2 messages
            C: NOOP
            S: +OK
            C: UIDL
            S: +OK
            S: 1 {{inbox.UidValidity:x}}.1
            S: 2 {{inbox.UidValidity:x}}.2
            S: .
            C: DELE 1
            S: +OK Marked for deletion
            C: QUIT
            S: +OK pop.test Rookery POP3 signing off (1 messages deleted)
            """);
        await Deliver("Subject: three\r\n\r\nthird body\r\n");
        // the message that was second is first now, under the UIDL it had
        await Run($$"""
            S: +OK pop.test Rookery POP3 ready
            C: USER alice
            S: +OK
            C: PASS pw
            S: +OK 2 messages
            C: UIDL
            S: +OK
            S: 1 {{inbox.UidValidity:x}}.2
            S: 2 {{inbox.UidValidity:x}}.3
            S: .
            C: UIDL 2
            S: +OK 2 {{inbox.UidValidity:x}}.3
            C: NOOP
            S: +OK
            C: QUIT
            S: +OK pop.test Rookery POP3 signing off (0 messages deleted)
            """);
    }

    [Fact]
    public async Task A_user_reaches_their_own_Inbox_only_whatever_others_grant_them()
    {
        // POP3 has no namespace for other stores: grants on alice's Inbox give carol nothing here
        var hasher = new PasswordHasher(10_000);
        var carol = await repository.CreateUserAsync("db", "carol", hasher.Hash("pw"), new UserUpdate { Email = "carol@example.com" });
        await repository.CreateUserAsync("db", "desk", hasher.Hash("pw"), new UserUpdate { Email = "desk@example.com", Active = false });
        var grants = new SqlFolderGrants(test.Database);
        await grants.SetAsync(inbox.Id, Grantee.User(carol), FolderRoles.Owner);
        await grants.SetAsync(inbox.Id, Grantee.Anyone, FolderRoles.Owner);
        await Run("""
            S: +OK *
            C: USER carol
            C: PASS pw
            S: +OK
            S: +OK 0 messages
            C: STAT
            S: +OK 0 0
            C: RETR 1
            S: -ERR *
            C: QUIT
            S: +OK *
            """);
        // a non-active account (a shared store) receives mail but nobody logs in as it
        await Run("""
            S: +OK *
            C: USER desk
            C: PASS pw
            S: +OK
            S: -ERR [AUTH] *
            """);
        Assert.Equal(2, (await store.ListItemsAsync(inbox.Id)).Count);
    }

    [Fact]
    public async Task A_dropped_connection_deletes_nothing()
    {
        await Run("""
            S: +OK *
            C: AUTH PLAIN AGFsaWNlAHB3
            S: +OK 2 messages
            C: DELE 1
            S: +OK Marked for deletion
            """);
        Assert.Equal(2, (await store.ListItemsAsync(inbox.Id)).Count);
    }

    [Fact]
    public async Task Capabilities_features_and_plaintext_policy()
    {
        await Run("""
            S: +OK *
            C: CAPA
            S: +OK Capability list follows
            S: TOP
            S: UIDL
            S: RESP-CODES
            S: AUTH-RESP-CODE
            S: PIPELINING
            S: EXPIRE NEVER
            S: IMPLEMENTATION Rookery
            S: USER
            S: SASL PLAIN LOGIN
            S: .
            C: USER bob
            C: PASS pw
            S: +OK
            S: -ERR [AUTH] POP3 is not enabled for this account
            C: STAT
            S: -ERR Unknown command, or log in first
            C: AUTH LOGIN
            S: + VXNlcm5hbWU6
            C: YWxpY2U=
            S: + UGFzc3dvcmQ6
            C: cHc=
            S: +OK 2 messages
            """);
        await Run("""
            S: +OK *
            C: USER alice
            S: -ERR [AUTH] Plaintext authentication is disallowed *
            C: AUTH PLAIN AGFsaWNlAHB3
            S: -ERR [AUTH] Plaintext authentication is disallowed *
            """, plaintextAllowed: false);
    }

    [Fact]
    public async Task A_second_session_on_the_same_maildrop_is_refused()
    {
        var first = new System.IO.Pipelines.Pipe();
        var firstOut = new System.IO.Pipelines.Pipe();
        using var holder = new Pop3Session(new Duplex(first.Reader, firstOut.Writer), services, new Pop3Connection("127.0.0.1", false, true));
        var running = holder.RunAsync(CancellationToken.None);
        await first.Writer.WriteAsync("USER alice\r\nPASS pw\r\n"u8.ToArray());
        using var reader = new StreamReader(firstOut.Reader.AsStream());
        while (await reader.ReadLineAsync() is { } line && !line.Contains("messages", StringComparison.Ordinal)) { }

        await Run("""
            S: +OK *
            C: USER alice
            C: PASS pw
            S: +OK
            S: -ERR [IN-USE] Another POP3 session has this mailbox open
            """);
        await first.Writer.WriteAsync("QUIT\r\n"u8.ToArray());
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }

    sealed class Duplex(System.IO.Pipelines.PipeReader input, System.IO.Pipelines.PipeWriter output) : System.IO.Pipelines.IDuplexPipe
    {
        public System.IO.Pipelines.PipeReader Input { get; } = input;
        public System.IO.Pipelines.PipeWriter Output { get; } = output;
    }
}
