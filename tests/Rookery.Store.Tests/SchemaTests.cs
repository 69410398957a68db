using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

public sealed class SchemaTests
{
    [Fact]
    public async Task First_start_creates_the_schema_and_a_second_run_is_a_no_op()
    {
        await using var test = await TestDatabase.CreateAsync(migrate: false);
        var migrator = new SchemaMigrator(test.Database);

        Assert.Equal(SchemaMigrator.LatestVersion, await migrator.MigrateAsync());
        Assert.Equal(SchemaMigrator.LatestVersion, await migrator.CurrentVersionAsync());
        Assert.Equal(0, await migrator.MigrateAsync());
        Assert.Equal(SchemaMigrator.LatestVersion, await migrator.CurrentVersionAsync());
    }

    [Fact]
    public async Task Processes_migrating_at_the_same_moment_apply_each_migration_once()
    {
        await using var test = await TestDatabase.CreateAsync(migrate: false);
        // Separate Database objects: separate connection pools, as separate processes would have.
        var runs = Enumerable.Range(0, 4)
            .Select(_ => Task.Run(() => new SchemaMigrator(new Database(test.Settings)).MigrateAsync()))
            .ToArray();
        var applied = await Task.WhenAll(runs);

        Assert.Equal(SchemaMigrator.LatestVersion, applied.Sum());
        Assert.Equal(SchemaMigrator.LatestVersion, await new SchemaMigrator(test.Database).CurrentVersionAsync());
    }

    [Fact]
    public async Task Restart_keeps_stores_folders_and_items()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore();
        var info = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en_US.UTF-8");
        var inbox = await store.InboxAsync(info.Id);
        var content = Messages.Make("kept");
        await store.AppendAsync(inbox.Id, content);

        // a new process: new Database, new blob store object, migrations run again
        var database = new Database(test.Settings);
        Assert.Equal(0, await new SchemaMigrator(database).MigrateAsync());
        var reopened = new SqlMailStore(database, new BlobStorage(database, AttachmentStorage.Files, Blobs.ContentAddressedStore.Files(test.BlobPath, 6)),
            new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier());
        var again = await reopened.EnsureStoreAsync(StoreKind.Private, "alice", "en_US.UTF-8");
        Assert.Equal(info.Id, again.Id);
        var items = await reopened.ListItemsAsync(inbox.Id);
        var item = Assert.Single(items);
        Assert.Equal(content, await reopened.ReadAllAsync(item));
    }
}
