using System.Data;
using LinqToDB;
using LinqToDB.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Rookery.Store.Sql;

/// <summary>
/// Creates the schema at first start and applies versioned migrations, under a lock that
/// keeps two processes starting at the same moment from applying a migration twice.
/// </summary>
public sealed class SchemaMigrator(Database database, ILogger<SchemaMigrator>? logger = null)
{
    const string LockPrefix = "rookery_schema_migration";
    readonly ILogger log = logger ?? (ILogger)NullLogger.Instance;

    /// <summary>The schema version this build of Rookery expects.</summary>
    public static int LatestVersion => Migrations.All[^1].Version;

    /// <summary>Applies pending migrations; returns how many were applied.</summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await database.EnsureCreatedAsync(cancellationToken);
        await using var db = await database.OpenAsync(cancellationToken);
        db.CommandTimeout = 0; // waiting for another process's migration, or a long ALTER, is not an error
        return database.Engine switch
        {
            DatabaseEngine.Sqlite => await MigrateSqliteAsync(db, cancellationToken),
            _ => await MigrateWithAdvisoryLockAsync(db, cancellationToken),
        };
    }

    /// <summary>The version of the schema in the database; 0 when it has none.</summary>
    public async Task<int> CurrentVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await database.OpenAsync(cancellationToken);
        return await ReadVersionAsync(db, cancellationToken);
    }

    async Task<int> MigrateSqliteAsync(DataConnection db, CancellationToken cancellationToken)
    {
        // BEGIN IMMEDIATE takes SQLite's write lock for the whole run; its DDL is transactional.
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        await EnsureVersionTableAsync(db, cancellationToken);
        var applied = 0;
        var current = await ReadVersionAsync(db, cancellationToken);
        foreach (var migration in Migrations.All.Where(m => m.Version > current))
        {
            await ApplyAsync(db, migration, cancellationToken);
            applied++;
        }
        await transaction.CommitAsync(cancellationToken);
        return applied;
    }

    async Task<int> MigrateWithAdvisoryLockAsync(DataConnection db, CancellationToken cancellationToken)
    {
        await AcquireLockAsync(db, cancellationToken);
        try
        {
            await EnsureVersionTableAsync(db, cancellationToken);
            var applied = 0;
            var current = await ReadVersionAsync(db, cancellationToken);
            foreach (var migration in Migrations.All.Where(m => m.Version > current))
            {
                // PostgreSQL runs DDL in the transaction; MySQL commits DDL implicitly, which the lock makes safe.
                await using var transaction = await db.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
                await ApplyAsync(db, migration, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                applied++;
            }
            return applied;
        }
        finally
        {
            await ReleaseLockAsync(db);
        }
    }

    async Task ApplyAsync(DataConnection db, Migration migration, CancellationToken cancellationToken)
    {
        log.LogInformation("Applying schema migration {Version}: {Name}", migration.Version, migration.Name);
        foreach (var statement in migration.Statements(new Ddl(database.Engine)))
        {
            try
            {
                await db.ExecuteAsync(statement, cancellationToken);
            }
            catch (MySqlConnector.MySqlException e) when (e.ErrorCode is MySqlConnector.MySqlErrorCode.TableExists or MySqlConnector.MySqlErrorCode.DuplicateKeyName)
            {
                // MySQL commits each DDL statement: a run interrupted half-way left this one applied already.
                log.LogWarning("Schema migration {Version}: already applied: {Statement}", migration.Version, e.Message);
            }
        }
        await db.ExecuteAsync(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (@version, @name, @at)",
            cancellationToken,
            new DataParameter("version", migration.Version),
            new DataParameter("name", migration.Name),
            new DataParameter("at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
    }

    async Task EnsureVersionTableAsync(DataConnection db, CancellationToken cancellationToken)
    {
        var ddl = new Ddl(database.Engine);
        await db.ExecuteAsync(
            $"CREATE TABLE IF NOT EXISTS schema_version (version {ddl.Int} NOT NULL PRIMARY KEY, name {ddl.Text(200)} NOT NULL, applied_at {ddl.BigInt} NOT NULL){ddl.TableOptions}",
            cancellationToken);
    }

    static async Task<int> ReadVersionAsync(DataConnection db, CancellationToken cancellationToken)
    {
        try
        {
            return await db.ExecuteAsync<int?>("SELECT MAX(version) FROM schema_version", cancellationToken) ?? 0;
        }
        catch (Exception e) when (e is System.Data.Common.DbException)
        {
            return 0;
        }
    }

    async Task AcquireLockAsync(DataConnection db, CancellationToken cancellationToken)
    {
        if (database.Engine == DatabaseEngine.MySql)
        {
            // GET_LOCK names are server-wide: name the database so two Rookery databases on one server do not wait for each other.
            var got = await db.ExecuteAsync<int?>("SELECT GET_LOCK(@name, 600)", cancellationToken, new DataParameter("name", LockName));
            if (got != 1)
                throw new TimeoutException("timed out waiting for another process to finish migrating the schema");
        }
        else
        {
            await db.ExecuteAsync("SELECT pg_advisory_lock(hashtext(@name))", cancellationToken, new DataParameter("name", LockName));
        }
    }

    string LockName => $"{LockPrefix}:{database.Settings.Database}";

    async Task ReleaseLockAsync(DataConnection db)
    {
        var sql = database.Engine == DatabaseEngine.MySql
            ? "SELECT RELEASE_LOCK(@name)"
            : "SELECT pg_advisory_unlock(hashtext(@name))";
        await db.ExecuteAsync(sql, new DataParameter("name", LockName));
    }
}

/// <summary>Column types and table options per engine, so migrations are written once.</summary>
public sealed class Ddl(DatabaseEngine engine)
{
    public DatabaseEngine Engine => engine;
#pragma warning disable CA1822 // part of the per-engine vocabulary even where every engine agrees
    public string Int => "INTEGER";
#pragma warning restore CA1822
    public string BigInt => engine == DatabaseEngine.Sqlite ? "INTEGER" : "BIGINT";
    public string Bool => engine switch { DatabaseEngine.PostgreSql => "BOOLEAN", DatabaseEngine.MySql => "TINYINT(1)", _ => "INTEGER" };
    public string Binary => engine switch { DatabaseEngine.PostgreSql => "BYTEA", DatabaseEngine.MySql => "LONGBLOB", _ => "BLOB" };
    public string LongText => engine == DatabaseEngine.MySql ? "LONGTEXT" : "TEXT";
    public string Text(int length) => engine == DatabaseEngine.Sqlite ? "TEXT" : $"VARCHAR({length})";

    /// <summary>An auto-incrementing 64-bit primary key column.</summary>
    public string Identity => engine switch
    {
        DatabaseEngine.Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        DatabaseEngine.MySql => "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
        _ => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };

    public string TableOptions => engine == DatabaseEngine.MySql ? " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin" : "";
}

public sealed record Migration(int Version, string Name, Func<Ddl, IEnumerable<string>> Statements);
