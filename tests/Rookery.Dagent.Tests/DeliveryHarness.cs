using Rookery.Directory;
using Rookery.Store;
using Rookery.Store.Sql;
using Rookery.Store.Tests;

namespace Rookery.Dagent.Tests;

/// <summary>A store, a db directory with the users every delivery test knows, and a delivery agent over them.</summary>
sealed class DeliveryHarness : IAsyncDisposable
{
    DeliveryHarness(TestDatabase test)
    {
        Test = test;
        Repository = new SqlDirectoryRepository(test.Database);
        Directory = new DbUserDirectory(Repository);
        Store = new SqlMailStore(test.Database, test.CreateBlobs(), new AccountQuotaPolicy(Directory, QuotaLimits.None), new ChangeNotifier());
        Users = new UserStores(Store, Directory, "en_US.UTF-8");
        Agent = CreateAgent(new DeliveryOptions());
    }

    public DbUserDirectory Directory { get; }

    /// <summary>Another agent over the same store and users, with other options (plugins, group expansion).</summary>
    public DeliveryAgent CreateAgent(DeliveryOptions options) => new(Store, Directory, Users, options);

    public TestDatabase Test { get; }
    public SqlDirectoryRepository Repository { get; }
    public SqlMailStore Store { get; }
    public UserStores Users { get; }
    public DeliveryAgent Agent { get; }

    /// <summary>alice (alias a.liddell@), bob, full (1 MiB hard quota) and shared (non-active), all @example.com.</summary>
    public static async Task<DeliveryHarness> CreateAsync()
    {
        var harness = new DeliveryHarness(await TestDatabase.CreateAsync());
        var hasher = new PasswordHasher(10_000);
        var repository = harness.Repository;
        await repository.CreateUserAsync("db", "alice", hasher.Hash("pw"), new UserUpdate { Email = "alice@example.com", AddAliases = ["a.liddell@example.com"] });
        await repository.CreateUserAsync("db", "bob", hasher.Hash("pw"), new UserUpdate { Email = "bob@example.com" });
        await repository.CreateUserAsync("db", "full", hasher.Hash("pw"), new UserUpdate { Email = "full@example.com", QuotaOverride = true, QuotaHard = 1 });
        await repository.CreateUserAsync("db", "shared", hasher.Hash("pw"), new UserUpdate { Email = "shared@example.com", Active = false });
        return harness;
    }

    public async Task<IReadOnlyList<ItemInfo>> ItemsOf(string login, SpecialUse use = SpecialUse.Inbox)
    {
        var user = (await Repository.FindUserAsync("db", login))!;
        var info = await Users.EnsureStoreAsync(user);
        var folder = (await Store.ListFoldersAsync(info.Id)).Single(f => f.SpecialUse == use);
        return await Store.ListItemsAsync(folder.Id);
    }

    public ValueTask DisposeAsync() => Test.DisposeAsync();
}
