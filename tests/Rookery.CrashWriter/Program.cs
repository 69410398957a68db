using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rookery.Blobs;
using Rookery.Store;
using Rookery.Store.Sql;

// usage: Rookery.CrashWriter SETTINGS_JSON BLOB_PATH SEED
// Appends messages of random sizes to the inbox of store "crash" forever, printing
// "ACK <uid> <sha256>" after each commit returns, i.e. at the moment a server would acknowledge.
var settings = JsonSerializer.Deserialize<DatabaseSettings>(args[0])!;
var database = new Database(settings);
await new SchemaMigrator(database).MigrateAsync();
var store = new SqlMailStore(database, new BlobStorage(database, AttachmentStorage.Files, new FileBlobStore(args[1], 6)),
    new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
var info = await store.EnsureStoreAsync(StoreKind.Private, "crash", "en");
var inbox = (await store.ListFoldersAsync(info.Id)).Single(f => f.SpecialUse == SpecialUse.Inbox);
var random = new Random(int.Parse(args[2]));
var stdout = Console.Out;
stdout.WriteLine("READY");
stdout.Flush();
for (var i = 0; ; i++)
{
    var body = new StringBuilder();
    var lines = random.Next(10, 4000);
    for (var l = 0; l < lines; l++)
        body.Append(CultureInvariant($"line {l} of message {i} {random.Next()}\r\n"));
    var content = Encoding.ASCII.GetBytes($"Subject: crash {i}\r\nMessage-ID: <{Guid.NewGuid():N}@crash>\r\n\r\n{body}");
    using var staged = await store.StageAsync(new MemoryStream(content));
    var result = await store.AppendAsync(inbox.Id, staged, new AppendRequest { Fields = new ItemFields { Subject = $"crash {i}" } });
    stdout.WriteLine($"ACK {result.Uid} {Convert.ToHexStringLower(SHA256.HashData(content))}");
    stdout.Flush();
}

static string CultureInvariant(FormattableString s) => FormattableString.Invariant(s);
