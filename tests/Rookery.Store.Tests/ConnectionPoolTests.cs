using LinqToDB;
using LinqToDB.Data;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

/// <summary>
/// What a connection from <see cref="Database.OpenAsync"/> is like, on every engine; on SQLite the
/// connections are Rookery's own pool, kept open with their prepared statements.
/// </summary>
public sealed class ConnectionPoolTests : IAsyncLifetime
{
    TestDatabase test = null!;

    static bool Sqlite => TestDatabase.EngineName == "sqlite";

    public async Task InitializeAsync() => test = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await test.DisposeAsync();

    static Task<int> CountAsync(DataConnection db) =>
        db.ExecuteAsync<int>("SELECT COUNT(*) FROM subscriptions WHERE store_id = -1");

    [Fact]
    public async Task A_transaction_left_open_is_rolled_back_before_the_connection_serves_again()
    {
        System.Data.Common.DbConnection first;
        await using (var db = await test.Database.OpenAsync())
        {
            first = db.OpenDbConnection();
            await db.BeginTransactionAsync();
            await db.ExecuteAsync("INSERT INTO subscriptions (store_id, name) VALUES (-1, 'never committed')");
        }
        await using (var db = await test.Database.OpenAsync())
        {
            if (Sqlite)
                Assert.Same(first, db.OpenDbConnection()); // the same connection, back from the pool
            Assert.Equal(0, await CountAsync(db));
            await using (var transaction = await db.BeginTransactionAsync())
            {
                await db.ExecuteAsync("INSERT INTO subscriptions (store_id, name) VALUES (-1, 'committed')");
                await transaction.CommitAsync();
            }
        }
        await using (var db = await test.Database.OpenAsync())
            Assert.Equal(1, await CountAsync(db));
    }

    /// <summary>The idle trim closes all idle SQLite connections but a few; the kept ones, and new ones, work as before.</summary>
    [Fact]
    public async Task Trimming_the_idle_pool_keeps_a_few_working_connections_and_closes_the_rest()
    {
        async Task<List<System.Data.Common.DbConnection>> HoldFiveAsync()
        {
            var held = new List<DataConnection>();
            for (var i = 0; i < 5; i++)
                held.Add(await test.Database.OpenAsync());
            var connections = new List<System.Data.Common.DbConnection>();
            foreach (var db in held)
            {
                Assert.Equal(0, await CountAsync(db));
                connections.Add(db.OpenDbConnection());
                await db.DisposeAsync();
            }
            return connections;
        }

        var before = await HoldFiveAsync();
        test.Database.TrimIdle(keep: 2);
        var after = await HoldFiveAsync();
        if (!Sqlite)
            return; // the servers' pools are their providers'
        Assert.Equal(2, after.Count(before.Contains));
        Assert.All(before.Where(c => !after.Contains(c)), c => Assert.NotEqual(System.Data.ConnectionState.Open, c.State));
    }

    [Fact]
    public async Task A_connection_its_user_closed_is_not_handed_out_again()
    {
        System.Data.Common.DbConnection closed;
        await using (var db = await test.Database.OpenAsync())
        {
            closed = db.OpenDbConnection();
            await closed.CloseAsync();
        }
        await using (var db = await test.Database.OpenAsync())
        {
            Assert.NotSame(closed, db.OpenDbConnection());
            Assert.Equal(0, await CountAsync(db));
        }
    }

    [Fact]
    public async Task Connections_in_use_at_once_are_all_distinct_and_all_come_back_working()
    {
        // on the servers the provider's pool has PoolSize connections at most, and a user beyond waits
        var count = Sqlite ? test.Settings.PoolSize + 3 : 3;
        var open = new List<DataConnection>();
        for (var i = 0; i < count; i++)
            open.Add(await test.Database.OpenAsync());
        var first = open.Select(db => db.OpenDbConnection()).ToList();
        Assert.Equal(count, first.Distinct().Count());
        foreach (var db in open)
            await db.DisposeAsync();
        // SQLite's pool keeps PoolSize of them and closes the others; every connection handed out after works
        var again = new List<DataConnection>();
        for (var i = 0; i < count; i++)
        {
            again.Add(await test.Database.OpenAsync());
            Assert.Equal(0, await CountAsync(again[^1]));
        }
        if (Sqlite)
        {
            Assert.Equal(test.Settings.PoolSize, again.Select(db => db.OpenDbConnection()).Intersect(first).Count());
            Assert.All(first.Except(again.Select(db => db.OpenDbConnection())), c => Assert.Equal(System.Data.ConnectionState.Closed, c.State));
        }
        foreach (var db in again)
            await db.DisposeAsync();
    }
}
