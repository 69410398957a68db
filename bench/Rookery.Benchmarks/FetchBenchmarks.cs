using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using BenchmarkDotNet.Attributes;
using Rookery.Blobs;
using Rookery.Directory;
using Rookery.Imap;
using Rookery.Store;
using Rookery.Store.Sql;

namespace Rookery.Benchmarks;

/// <summary>
/// FETCH 1:* (ENVELOPE BODYSTRUCTURE) over a mailbox of 1000 messages stored by IMAP APPEND, through a real
/// session over in-memory pipes: what a client opening a folder for the first time asks. Stores the mail through
/// the session, as clients do, so the same file measures a branch before and after a change to ingest.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(2)]
[IterationCount(10)]
public class FetchBenchmarks
{
    const int Messages = 1000;

    Database database = null!;
    string directory = null!;
    Pipe toServer = null!;
    Pipe toClient = null!;
    Task session = null!;
    int tag;

    [Params("sqlite")]
    public string Engine { get; set; } = "sqlite";

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    async Task SetupAsync()
    {
        directory = Path.Combine(Path.GetTempPath(), "rookery_fetchbench_" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        database = new Database(new DatabaseSettings(DatabaseEngine.Sqlite) { SqlitePath = Path.Combine(directory, "rookery.db") });
        await new SchemaMigrator(database).MigrateAsync();
        var repository = new SqlDirectoryRepository(database);
        var users = new DbUserDirectory(repository);
        await repository.CreateUserAsync("db", "bench", new PasswordHasher(1_000).Hash("pw"), new UserUpdate { Email = "bench@example.com" });
        var store = new SqlMailStore(database, new BlobStorage(database, AttachmentStorage.Files, ContentAddressedStore.Files(Path.Combine(directory, "attachments"), 6)),
            new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
        var services = new ImapServices(store, new UserStores(store, users, "en_US.UTF-8"),
            new Authenticator(users, [], new AuthenticationLimits(), TimeProvider.System),
            new ImapOptions { HostName = "bench" }, new Common.ConnectionCounter(0), new AccountQuotaPolicy(users, QuotaLimits.None),
            new FolderAccess(store, new SqlFolderGrants(database), FolderRights.None), users);
        toServer = new Pipe();
        toClient = new Pipe();
        var imap = new ImapSession(new Duplex(toServer.Reader, toClient.Writer), services, new ImapConnection("127.0.0.1", Secure: true, PlaintextAuthAllowed: true));
        session = imap.RunAsync(CancellationToken.None);
        await ReadUntilAsync("* OK");
        await CommandAsync("LOGIN bench pw");
        for (var i = 0; i < Messages; i++)
        {
            var message = Message(i);
            await SendAsync($"a{i} APPEND INBOX {{{message.Length}}}\r\n");
            await ReadUntilAsync("+");
            await toServer.Writer.WriteAsync(message);
            await SendAsync("\r\n");
            await ReadUntilAsync($"a{i} OK");
        }
        await CommandAsync("SELECT INBOX");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        toServer.Writer.Complete();
        session.Wait(TimeSpan.FromSeconds(5));
        database.DropAsync().GetAwaiter().GetResult();
        System.IO.Directory.Delete(directory, true);
    }

    [Benchmark(Description = "FETCH 1:* (ENVELOPE BODYSTRUCTURE), 1000 messages")]
    public Task<long> FetchEnvelopeAndBodyStructure() => CommandAsync("FETCH 1:* (ENVELOPE BODYSTRUCTURE)");

    /// <summary>Mail as it comes: plain text, and multipart with an alternative and an attachment, 3–9 KB.</summary>
    static byte[] Message(int i)
    {
        var header = $"From: \"Sender {i}\" <sender{i}@example.net>\r\nTo: bench@example.com, other@example.org\r\nCc: team@example.com\r\n"
            + $"Subject: message number {i} about the quarterly report\r\nDate: Mon, 02 Mar 2026 10:{i % 60:00}:00 +0100\r\nMessage-ID: <{i}.bench@example.net>\r\n"
            + "MIME-Version: 1.0\r\n";
        var line = "This is a line of a typical mail body, about seventy characters long.\r\n";
        var body = string.Concat(Enumerable.Repeat(line, 40 + i % 40));
        if (i % 2 == 0)
            return Encoding.ASCII.GetBytes(header + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body);
        return Encoding.ASCII.GetBytes(header + "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
            + "--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
            + "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
            + "--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>" + body + "</p>\r\n--alt--\r\n"
            + "--outer\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + string.Concat(Enumerable.Repeat("JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZURlY29kZT4+\r\n", 20))
            + "--outer--\r\n");
    }

    /// <summary>Sends a command and reads its whole answer; returns the octets read.</summary>
    async Task<long> CommandAsync(string command)
    {
        var t = "t" + ++tag;
        await SendAsync($"{t} {command}\r\n");
        return await ReadUntilAsync(t + " OK");
    }

    async Task SendAsync(string text) => await toServer.Writer.WriteAsync(Encoding.ASCII.GetBytes(text));

    /// <summary>Reads until a line starts with <paramref name="start"/>; a NO or BAD for the same tag fails.</summary>
    async Task<long> ReadUntilAsync(string start)
    {
        var wanted = Encoding.ASCII.GetBytes(start);
        var tagged = Encoding.ASCII.GetBytes(start.Split(' ')[0] + " ");
        long total = 0;
        while (true)
        {
            var result = await toClient.Reader.ReadAsync();
            var buffer = result.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } end)
            {
                var line = buffer.Slice(0, end).ToArray();
                total += line.Length + 1;
                buffer = buffer.Slice(buffer.GetPosition(1, end));
                if (line.AsSpan().StartsWith(wanted))
                {
                    toClient.Reader.AdvanceTo(buffer.Start);
                    return total;
                }
                if (line.AsSpan().StartsWith(tagged) && !start.StartsWith('*'))
                    throw new InvalidOperationException("the server answered " + Encoding.ASCII.GetString(line));
            }
            toClient.Reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                throw new InvalidOperationException("the session ended");
        }
    }

    sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
