using System.IO.Pipelines;
using System.Text;
using Rookery.Directory;
using Rookery.Store;
using Rookery.Store.Sql;
using Rookery.Store.Tests;

namespace Rookery.Imap.Tests;

/// <summary>A store with users alice (password "pw") and bob ("pw", IMAP disabled), and IMAP sessions over in-memory pipes.</summary>
sealed class ImapHarness : IAsyncDisposable
{
    ImapHarness(TestDatabase test)
    {
        Test = test;
        Repository = new SqlDirectoryRepository(test.Database);
        var directory = new DbUserDirectory(Repository);
        Store = new SqlMailStore(test.Database, test.CreateBlobs(), new AccountQuotaPolicy(directory, QuotaLimits.None), new ChangeNotifier());
        Users = new UserStores(Store, directory, "en_US.UTF-8");
        Grants = new SqlFolderGrants(test.Database);
        Access = new FolderAccess(Store, Grants, FolderRights.ReadItems | FolderRights.CreateItems | FolderRights.FolderVisible);
        Services = new ImapServices(Store, Users,
            new Authenticator(directory, ["pop3"], new AuthenticationLimits { FailureDelay = TimeSpan.FromMilliseconds(10), MaxFailureDelay = TimeSpan.FromMilliseconds(50) }, TimeProvider.System),
            new ImapOptions { HostName = "imap.test" }, new Common.ConnectionCounter(0), new AccountQuotaPolicy(directory, QuotaLimits.None),
            Access, directory);
    }

    public TestDatabase Test { get; }
    public SqlDirectoryRepository Repository { get; }
    public SqlMailStore Store { get; }
    public UserStores Users { get; }
    public SqlFolderGrants Grants { get; }
    public FolderAccess Access { get; }
    public ImapServices Services { get; set; }

    public static async Task<ImapHarness> CreateAsync()
    {
        var harness = new ImapHarness(await TestDatabase.CreateAsync());
        var hasher = new PasswordHasher(10_000);
        await harness.Repository.CreateUserAsync("db", "alice", hasher.Hash("pw"), new UserUpdate { Email = "alice@example.com", QuotaOverride = true, QuotaHard = 10 });
        await harness.Repository.CreateUserAsync("db", "bob", hasher.Hash("pw"), new UserUpdate { Email = "bob@example.com", DisableFeatures = ["imap"] });
        return harness;
    }

    public async Task<FolderInfo> FolderAsync(string login, SpecialUse use = SpecialUse.Inbox)
    {
        var user = (await Repository.FindUserAsync("db", login))!;
        var info = await Users.EnsureStoreAsync(user);
        return (await Store.ListFoldersAsync(info.Id)).Single(f => f.SpecialUse == use);
    }

    /// <summary>Delivers a message the way another protocol would, outside any IMAP session.</summary>
    public async Task<AppendResult> DeliverAsync(string login, string subject, string body = "Hello.", SpecialUse use = SpecialUse.Inbox, MessageFlags flags = MessageFlags.None)
    {
        var content = Encoding.UTF8.GetBytes($"From: Sender <sender@example.net>\r\nTo: {login}@example.com\r\nSubject: {subject}\r\nDate: Mon, 02 Mar 2026 10:00:00 +0100\r\nMessage-ID: <{Guid.NewGuid():N}@example.net>\r\n\r\n{body}\r\n");
        var folder = await FolderAsync(login, use);
        using var staged = await Store.StageAsync(new MemoryStream(content));
        return await Store.AppendAsync(folder.Id, staged, new AppendRequest
        {
            Flags = flags,
            ReceivedAt = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero),
            Fields = MessageFields.FromHeaders(MimeKit.HeaderList.Load(new MemoryStream(content))),
        });
    }

    /// <summary>Delivers a message given whole (CRLF line ends), with the fields the store extracts.</summary>
    public async Task<AppendResult> DeliverRawAsync(string login, string message) =>
        await AppendAsync((await FolderAsync(login)).Id, Encoding.UTF8.GetBytes(message));

    /// <summary>Stores the octets of a message in a folder, with the fields the store extracts.</summary>
    public async Task<AppendResult> AppendAsync(long folderId, byte[] content)
    {
        using var staged = await Store.StageAsync(new MemoryStream(content));
        return await Store.AppendAsync(folderId, staged, new AppendRequest
        {
            Fields = MessageFields.FromHeaders(MimeKit.HeaderList.Load(new MemoryStream(content))),
        });
    }

    /// <summary>A transcript's start: alice logged in, INBOX selected (the seven untagged lines of an IMAP4rev1 SELECT of a mailbox with unseen mail).</summary>
    public const string InboxSelected = """
        S: * OK *
        C: a LOGIN alice pw
        S: a OK *
        C: b SELECT INBOX
        S: …
        S: …
        S: …
        S: …
        S: …
        S: …
        S: …
        S: b OK [READ-WRITE] SELECT completed
        """;

    public Func<IDuplexPipe, Task> Session(bool plaintextAllowed = true) => async pipe =>
    {
        using var session = new ImapSession(pipe, Services, new ImapConnection("127.0.0.1", Secure: false, plaintextAllowed));
        await session.RunAsync(CancellationToken.None);
    };

    public ValueTask DisposeAsync() => Test.DisposeAsync();
}
