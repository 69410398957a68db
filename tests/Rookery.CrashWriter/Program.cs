using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rookery.Blobs;
using Rookery.Store;
using Rookery.Store.Sql;

// usage: Rookery.CrashWriter SETTINGS_JSON BLOB_PATH SEED [state]
// Appends messages of random sizes to the inbox of store "crash" forever, printing
// "ACK <uid> <sha256>" after each commit returns, i.e. at the moment a server would acknowledge.
// With "state": changes message state instead, printing "KEYWORD <uid> <keyword>" after each
// keyword it adds and "EXPUNGED <uid>" after each expunge of a message it appended for that.
var settings = JsonSerializer.Deserialize<DatabaseSettings>(args[0])!;
var database = new Database(settings);
await new SchemaMigrator(database).MigrateAsync();
var store = new SqlMailStore(database, new BlobStorage(database, AttachmentStorage.Files, ContentAddressedStore.Files(args[1], 6)),
    new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
var info = await store.EnsureStoreAsync(StoreKind.Private, "crash", "en");
var inbox = (await store.ListFoldersAsync(info.Id)).Single(f => f.SpecialUse == SpecialUse.Inbox);
var random = new Random(int.Parse(args[2]));
var stdout = Console.Out;
if (args.Length > 3 && args[3] == "state")
{
    var kept = new List<long>();
    for (var k = 0; k < 3; k++)
        kept.Add(await AppendTextAsync($"Subject: kept {k}\r\n\r\nkept\r\n"));
    stdout.WriteLine("READY");
    stdout.Flush();
    for (var i = 0; ; i++)
    {
        if (i % 5 == 4)
        {
            var doomed = await AppendTextAsync($"Subject: doomed {i}\r\n\r\ndoomed\r\n");
            await store.ExpungeAsync(inbox.Id, [doomed]);
            stdout.WriteLine($"EXPUNGED {doomed}");
        }
        else
        {
            var uid = kept[random.Next(kept.Count)];
            var keyword = CultureInvariant($"k{args[2]}x{i}");
            await store.SetFlagsAsync(inbox.Id, [uid], new FlagChange(FlagOperation.Add, MessageFlags.None, [keyword]));
            stdout.WriteLine($"KEYWORD {uid} {keyword}");
        }
        stdout.Flush();
    }
}
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

async Task<long> AppendTextAsync(string text)
{
    using var staged = await store.StageAsync(new MemoryStream(Encoding.ASCII.GetBytes(text)));
    return (await store.AppendAsync(inbox.Id, staged, new AppendRequest())).Uid;
}

static string CultureInvariant(FormattableString s) => FormattableString.Invariant(s);
