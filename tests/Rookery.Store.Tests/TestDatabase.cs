using Rookery.Blobs;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

/// <summary>
/// A fresh database on the engine named by ROOKERY_TEST_DB (sqlite, mysql, postgresql),
/// with a blob directory, dropped again on dispose.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    TestDatabase(DatabaseSettings settings, string directory)
    {
        Settings = settings;
        Directory = directory;
        Database = new Database(settings);
    }

    public DatabaseSettings Settings { get; }
    public Database Database { get; }
    public string Directory { get; }
    public string BlobPath => Path.Combine(Directory, "attachments");

    public static string EngineName => Environment.GetEnvironmentVariable("ROOKERY_TEST_DB") is { Length: > 0 } e ? e : "sqlite";

    public static DatabaseSettings SettingsFor(string directory, string name)
    {
        switch (EngineName)
        {
            case "sqlite":
                return new DatabaseSettings(DatabaseEngine.Sqlite) { SqlitePath = Path.Combine(directory, "rookery.db") };
            case "mysql":
                return new DatabaseSettings(DatabaseEngine.MySql)
                {
                    Host = Required("ROOKERY_TEST_MYSQL_HOST"),
                    Port = int.Parse(Required("ROOKERY_TEST_MYSQL_PORT")),
                    User = Required("ROOKERY_TEST_MYSQL_USER"),
                    Password = Environment.GetEnvironmentVariable("ROOKERY_TEST_MYSQL_PASSWORD") ?? "",
                    Database = name,
                };
            case "postgresql":
                return new DatabaseSettings(DatabaseEngine.PostgreSql)
                {
                    Host = Required("ROOKERY_TEST_PG_HOST"),
                    Port = int.Parse(Required("ROOKERY_TEST_PG_PORT")),
                    User = Required("ROOKERY_TEST_PG_USER"),
                    Password = Environment.GetEnvironmentVariable("ROOKERY_TEST_PG_PASSWORD") ?? "",
                    Database = name,
                };
            default:
                throw new InvalidOperationException($"ROOKERY_TEST_DB={EngineName} is not one of sqlite, mysql, postgresql");
        }
    }

    public static async Task<TestDatabase> CreateAsync(bool migrate = true)
    {
        var name = "rookery_t_" + Guid.NewGuid().ToString("N")[..12];
        var directory = Path.Combine(Path.GetTempPath(), name);
        System.IO.Directory.CreateDirectory(directory);
        var db = new TestDatabase(SettingsFor(directory, name), directory);
        if (migrate)
            await new SchemaMigrator(db.Database).MigrateAsync();
        return db;
    }

    public SqlMailStore CreateStore(QuotaLimits? quota = null, AttachmentStorage storage = AttachmentStorage.Files, int compression = 6, TimeProvider? time = null, int filesMinSize = 0) =>
        new(Database, CreateBlobs(storage, compression, time, filesMinSize), new FixedQuotaPolicy(quota ?? QuotaLimits.None), new ChangeNotifier(), time);

    public BlobStorage CreateBlobs(AttachmentStorage storage = AttachmentStorage.Files, int compression = 6, TimeProvider? time = null, int filesMinSize = 0) =>
        new(Database, storage, ContentAddressedStore.Files(BlobPath, compression), time, filesMinSize);

    public async ValueTask DisposeAsync()
    {
        try { await Database.DropAsync(); } catch (Exception) { /* best effort */ }
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : throw new InvalidOperationException($"{name} must be set when ROOKERY_TEST_DB={EngineName} (test.sh sets it)");
}
