using LinqToDB.Data;
using Microsoft.Data.Sqlite;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

/// <summary>
/// <see cref="RawSql"/> on SQLite runs its statements on the connection's handle (<see cref="SqliteStatements"/>),
/// not through Microsoft.Data.Sqlite: what ADO.NET gave must hold there — values as written, NULL apart from
/// empty, the transaction of the connection, row counts, errors that leave the statement usable.
/// The servers go through their ADO.NET providers as before; these run on SQLite only.
/// </summary>
public sealed class RawSqlTests : IAsyncLifetime
{
    TestDatabase test = null!;

    static bool Sqlite => TestDatabase.EngineName == "sqlite";

    public async Task InitializeAsync()
    {
        test = await TestDatabase.CreateAsync();
        if (!Sqlite)
            return;
        await using var db = await test.Database.OpenAsync();
        await db.RunAsync("CREATE TABLE raw_values (id INTEGER NOT NULL PRIMARY KEY, n INTEGER, t TEXT, b BLOB)", CancellationToken.None);
    }

    public async Task DisposeAsync() => await test.DisposeAsync();

    const string Insert = "INSERT INTO raw_values (id, n, t, b) VALUES (@id, @n, @t, @b)";

    static Task<List<(long Id, long? N, string? T, byte[]? B)>> ReadAllAsync(DataConnection db) =>
        db.ReadAsync("SELECT id, n, t, b FROM raw_values ORDER BY id",
            r => (r.GetInt64(0), r.IsDBNull(1) ? (long?)null : r.GetInt64(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : (byte[])r.GetValue(3)),
            CancellationToken.None);

    [Fact]
    public async Task Values_come_back_as_they_were_bound_with_null_apart_from_empty()
    {
        if (!Sqlite)
            return;
        var longText = string.Concat(Enumerable.Repeat("Grüße, 世界 🐦 ", 200)); // past the stack buffer, with four-byte characters
        var bigBlob = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray();
        await using var db = await test.Database.OpenAsync();
        await db.RunAsync(Insert, CancellationToken.None, RawSql.P("id", 1L), RawSql.P("n", long.MaxValue), RawSql.P("t", "plain"), RawSql.P("b", new byte[] { 0, 1, 2 }));
        await db.RunAsync(Insert, CancellationToken.None, RawSql.P("id", 2L), RawSql.P("n", (long?)null), RawSql.P("t", (string?)null), RawSql.P("b", (byte[]?)null));
        await db.RunAsync(Insert, CancellationToken.None, RawSql.P("id", 3L), RawSql.P("n", -5), RawSql.P("t", ""), RawSql.P("b", Array.Empty<byte>()));
        await db.RunAsync(Insert, CancellationToken.None, RawSql.P("id", 4L), RawSql.P("n", long.MinValue), RawSql.P("t", longText), RawSql.P("b", bigBlob));

        var rows = await ReadAllAsync(db);

        Assert.Equal([1L, 2L, 3L, 4L], rows.Select(r => r.Id));
        Assert.Equal((long.MaxValue, "plain"), (rows[0].N!.Value, rows[0].T!));
        Assert.Equal(new byte[] { 0, 1, 2 }, rows[0].B);
        Assert.Null(rows[1].N);
        Assert.Null(rows[1].T);
        Assert.Null(rows[1].B);
        Assert.Equal(-5, rows[2].N);
        Assert.Equal("", rows[2].T);
        Assert.Equal([], rows[2].B!);
        Assert.Equal(long.MinValue, rows[3].N);
        Assert.Equal(longText, rows[3].T);
        Assert.Equal(bigBlob, rows[3].B);
        // the same through the scalar and by-name paths
        Assert.Equal(longText, await db.ScalarAsync<string>("SELECT t FROM raw_values WHERE id = @id", CancellationToken.None, RawSql.P("id", 4L)));
        Assert.Null(await db.ScalarAsync<long?>("SELECT n FROM raw_values WHERE id = @id", CancellationToken.None, RawSql.P("id", 2L)));
        Assert.Null(await db.ScalarAsync<long?>("SELECT n FROM raw_values WHERE id = @id", CancellationToken.None, RawSql.P("id", 99L)));
        Assert.Equal(4, await db.ScalarAsync<int>("SELECT COUNT(*) FROM raw_values", CancellationToken.None));
        var named = await db.ListAsync<SubscriptionRow>("SELECT 7 AS store_id, t AS name FROM raw_values WHERE id = @id", CancellationToken.None, RawSql.P("id", 1L));
        Assert.Equal((7L, "plain"), (named.Single().StoreId, named.Single().Name));
    }

    [Fact]
    public async Task A_statement_runs_in_the_connections_transaction()
    {
        if (!Sqlite)
            return;
        await using var db = await test.Database.OpenAsync();
        await using (var transaction = await db.BeginTransactionAsync())
        {
            await db.RunAsync(Insert, CancellationToken.None, RawSql.P("id", 1L), RawSql.P("n", 1L), RawSql.P("t", "rolled back"), RawSql.P("b", (byte[]?)null));
            Assert.Single(await ReadAllAsync(db));
            await transaction.RollbackAsync();
        }
        Assert.Empty(await ReadAllAsync(db));
        await using (var transaction = await db.BeginTransactionAsync())
        {
            await db.RunAsync(Insert, CancellationToken.None, RawSql.P("id", 2L), RawSql.P("n", 2L), RawSql.P("t", "committed"), RawSql.P("b", (byte[]?)null));
            await transaction.CommitAsync();
        }
        await using var other = await test.Database.OpenAsync();
        Assert.Equal("committed", (await ReadAllAsync(other)).Single().T);
    }

    [Fact]
    public async Task A_write_counts_the_rows_it_changed_and_a_read_counts_none()
    {
        if (!Sqlite)
            return;
        await using var db = await test.Database.OpenAsync();
        for (var id = 1L; id <= 3; id++)
            Assert.Equal(1, await db.RunAsync(Insert, CancellationToken.None, RawSql.P("id", id), RawSql.P("n", id % 2), RawSql.P("t", "x"), RawSql.P("b", (byte[]?)null)));
        Assert.Equal(2, await db.RunAsync("UPDATE raw_values SET t = 'odd' WHERE n = @n", CancellationToken.None, RawSql.P("n", 1L)));
        Assert.Equal(0, await db.RunAsync("DELETE FROM raw_values WHERE id = @id", CancellationToken.None, RawSql.P("id", 42L)));
        Assert.Equal(-1, await db.RunAsync("SELECT id FROM raw_values", CancellationToken.None));
        // INSERT … RETURNING through the scalar path: the row is there once the value is read
        Assert.Equal(4L, await db.ScalarAsync<long>("INSERT INTO raw_values (id, n, t, b) VALUES (@id, 0, 'r', NULL) RETURNING id", CancellationToken.None, RawSql.P("id", 4L)));
        Assert.Equal(4, await db.ScalarAsync<long>("SELECT COUNT(*) FROM raw_values", CancellationToken.None));
    }

    [Fact]
    public async Task A_failed_statement_is_reported_and_the_statement_works_again()
    {
        if (!Sqlite)
            return;
        await using var db = await test.Database.OpenAsync();
        await db.RunAsync(Insert, CancellationToken.None, RawSql.P("id", 1L), RawSql.P("n", 1L), RawSql.P("t", "first"), RawSql.P("b", (byte[]?)null));

        var duplicate = await Assert.ThrowsAsync<SqliteException>(() =>
            db.RunAsync(Insert, CancellationToken.None, RawSql.P("id", 1L), RawSql.P("n", 2L), RawSql.P("t", "again"), RawSql.P("b", (byte[]?)null)));
        Assert.Equal(19, duplicate.SqliteErrorCode); // SQLITE_CONSTRAINT
        Assert.Contains("UNIQUE", duplicate.Message, StringComparison.Ordinal);
        // a parameter without a value is refused, not bound as what the last run left
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            db.RunAsync(Insert, CancellationToken.None, RawSql.P("id", 2L), RawSql.P("n", 2L), RawSql.P("t", "no b")));
        await Assert.ThrowsAsync<SqliteException>(() => db.RunAsync("SELEC nonsense", CancellationToken.None));

        Assert.Equal(1, await db.RunAsync(Insert, CancellationToken.None, RawSql.P("id", 2L), RawSql.P("n", 2L), RawSql.P("t", "second"), RawSql.P("b", (byte[]?)null)));
        Assert.Equal(["first", "second"], (await ReadAllAsync(db)).Select(r => r.T));
    }

    [Fact]
    public async Task Sql_of_several_statements_and_more_statements_than_a_connection_keeps_still_run()
    {
        if (!Sqlite)
            return;
        await using var db = await test.Database.OpenAsync();
        // two statements: run by Microsoft.Data.Sqlite, one after the other
        await db.RunAsync("INSERT INTO raw_values (id, n) VALUES (1, 1); INSERT INTO raw_values (id, n) VALUES (2, 2)", CancellationToken.None);
        Assert.Equal(2, await db.ScalarAsync<long>("SELECT COUNT(*) FROM raw_values; SELECT 99", CancellationToken.None));
        // SQL made for one call, far past what a connection keeps: each prepared for its run and let go
        for (var i = 0; i < 250; i++)
            Assert.Equal(i, await db.ScalarAsync<long>($"SELECT {i} + n - 1 FROM raw_values WHERE id = @id", CancellationToken.None, RawSql.P("id", 1L)));
        var once = await db.ReadOnceAsync($"SELECT id FROM raw_values WHERE id IN ({RawSql.InlineList([1, 2])}) ORDER BY id", r => r.GetInt64(0), CancellationToken.None);
        Assert.Equal([1L, 2L], once);
    }
}
