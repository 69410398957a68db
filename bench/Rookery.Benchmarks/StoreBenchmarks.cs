using System.Text;
using BenchmarkDotNet.Attributes;
using Rookery.Blobs;
using Rookery.Store;
using Rookery.Store.Sql;

namespace Rookery.Benchmarks;

/// <summary>Store throughput per engine: append (durable: fsynced blob + committed row), flag update, change-log read.</summary>
[MemoryDiagnoser]
[WarmupCount(2)]
[IterationCount(5)]
public class StoreBenchmarks
{
    Database database = null!;
    SqlMailStore store = null!;
    FolderInfo inbox = null!;
    StoreInfo info = null!;
    string directory = null!;
    byte[] message = null!;
    long nextUid;
    int counter;

    [Params("sqlite", "mysql", "postgresql")]
    public string Engine { get; set; } = "sqlite";

    [GlobalSetup]
    public void Setup()
    {
        var name = "rookery_bench_" + Guid.NewGuid().ToString("N")[..8];
        directory = Path.Combine(Path.GetTempPath(), name);
        System.IO.Directory.CreateDirectory(directory);
        var settings = Engine switch
        {
            "mysql" => new DatabaseSettings(DatabaseEngine.MySql)
            {
                Host = Env("ROOKERY_TEST_MYSQL_HOST", "127.0.0.1"), Port = int.Parse(Env("ROOKERY_TEST_MYSQL_PORT", "3306")),
                User = Env("ROOKERY_TEST_MYSQL_USER", "root"), Password = Env("ROOKERY_TEST_MYSQL_PASSWORD", ""), Database = name,
            },
            "postgresql" => new DatabaseSettings(DatabaseEngine.PostgreSql)
            {
                Host = Env("ROOKERY_TEST_PG_HOST", "127.0.0.1"), Port = int.Parse(Env("ROOKERY_TEST_PG_PORT", "5432")),
                User = Env("ROOKERY_TEST_PG_USER", "postgres"), Password = Env("ROOKERY_TEST_PG_PASSWORD", ""), Database = name,
            },
            _ => new DatabaseSettings(DatabaseEngine.Sqlite) { SqlitePath = Path.Combine(directory, "rookery.db") },
        };
        database = new Database(settings);
        new SchemaMigrator(database).MigrateAsync().GetAwaiter().GetResult();
        store = new SqlMailStore(database, new BlobStorage(database, AttachmentStorage.Files, ContentAddressedStore.Files(Path.Combine(directory, "attachments"), 6)),
            new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
        info = store.EnsureStoreAsync(StoreKind.Private, "bench", "en").GetAwaiter().GetResult();
        inbox = store.ListFoldersAsync(info.Id).GetAwaiter().GetResult().Single(f => f.SpecialUse == SpecialUse.Inbox);
        var body = new StringBuilder();
        for (var i = 0; i < 80; i++)
            body.Append("This is a line of a typical mail body, about seventy characters long.\r\n");
        message = Encoding.ASCII.GetBytes("From: a@example.com\r\nTo: b@example.com\r\nSubject: bench\r\n\r\n" + body);
        for (var i = 0; i < 200; i++)
            nextUid = Append().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        database.DropAsync().GetAwaiter().GetResult();
        System.IO.Directory.Delete(directory, true);
    }

    async Task<long> Append()
    {
        // unique content per append, as real mail is: no dedup shortcut
        var content = new byte[message.Length + 12];
        message.CopyTo(content, 0);
        Encoding.ASCII.GetBytes($"{Interlocked.Increment(ref counter),10}\r\n").CopyTo(content, message.Length);
        using var staged = await store.StageAsync(new MemoryStream(content));
        return (await store.AppendAsync(inbox.Id, staged, new AppendRequest { Fields = new ItemFields { Subject = "bench" } })).Uid;
    }

    [Benchmark(Description = "append (6 KB, durable)")]
    public Task<long> AppendMessage() => Append();

    [Benchmark(Description = "flag update (1 message)")]
    public Task<FlagResult> SetFlag() =>
        store.SetFlagsAsync(inbox.Id, [1 + (counter++ % 200)], new FlagChange(counter % 2 == 0 ? FlagOperation.Add : FlagOperation.Remove, MessageFlags.Seen, []));

    [Benchmark(Description = "change-log read (last 100)")]
    public async Task<int> ReadChanges()
    {
        var modseq = (await store.GetStoreAsync(info.Id)).ModSeq;
        return (await store.GetChangesAsync(info.Id, Math.Max(0, modseq - 100))).Count;
    }

    static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;
}
