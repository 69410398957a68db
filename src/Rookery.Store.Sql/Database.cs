using System.Data.Common;
using LinqToDB;
using LinqToDB.Data;
using LinqToDB.DataProvider;
using LinqToDB.DataProvider.MySql;
using LinqToDB.DataProvider.PostgreSQL;
using LinqToDB.DataProvider.SQLite;
using Microsoft.Data.Sqlite;
using MySqlConnector;
using Npgsql;

namespace Rookery.Store.Sql;

public enum DatabaseEngine
{
    Sqlite,
    MySql,
    PostgreSql,
}

/// <summary>Where the database is: the engine and the parameters of database_engine, mysql_*, postgresql_*, sqlite_path.</summary>
public sealed record DatabaseSettings(DatabaseEngine Engine)
{
    public string SqlitePath { get; init; } = "rookery.db";
    public string Host { get; init; } = "localhost";
    public int Port { get; init; }
    public string User { get; init; } = "";
    public string Password { get; init; } = "";
    public string Database { get; init; } = "rookery";
    /// <summary>MySQL unix socket; used instead of host and port when set.</summary>
    public string Socket { get; init; } = "";
    public int PoolSize { get; init; } = 20;
    /// <summary>SQLite: how long a state change (flags, expunge) may stay unsynced after it is acknowledged; zero syncs every commit.</summary>
    public TimeSpan StateSyncDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>SQLite: how long the group commit keeps its writer connection open with nothing to write.</summary>
    public TimeSpan WriterIdle { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A human-readable description without the password, for banners and logs.</summary>
    public string Describe() => Engine switch
    {
        DatabaseEngine.Sqlite => $"sqlite {Path.GetFullPath(SqlitePath)}",
        DatabaseEngine.MySql when Socket.Length > 0 => $"mysql {User}@unix:{Socket}/{Database}",
        DatabaseEngine.MySql => $"mysql {User}@{Host}:{Port}/{Database}",
        _ => $"postgresql {User}@{Host}:{Port}/{Database}",
    };
}

/// <summary>
/// Opens connections to the configured database. Each operation opens its own connection (SQLite's
/// from <see cref="idle"/>, the servers' from their ADO.NET provider's pool) and wraps it in a linq2db
/// <see cref="DataConnection"/>.
/// </summary>
public sealed class Database
{
    readonly IDataProvider provider;
    readonly string connectionString;

    public Database(DatabaseSettings settings)
    {
        Settings = settings;
        switch (settings.Engine)
        {
            case DatabaseEngine.Sqlite:
                _ = SqliteThreadingMode.Value;
                var directory = Path.GetDirectoryName(Path.GetFullPath(settings.SqlitePath));
                if (directory is not null)
                    System.IO.Directory.CreateDirectory(directory);
                connectionString = new SqliteConnectionStringBuilder
                {
                    DataSource = settings.SqlitePath,
                    Mode = SqliteOpenMode.ReadWriteCreate,
                    Pooling = true,
                    DefaultTimeout = 60, // how long a writer waits for the database lock
                }.ToString();
                provider = SQLiteTools.GetDataProvider(SQLiteProvider.Microsoft);
                break;
            case DatabaseEngine.MySql:
                connectionString = MySqlConnectionString(settings, settings.Database);
                provider = MySqlTools.GetDataProvider(MySqlVersion.MariaDB10, MySqlProvider.MySqlConnector);
                break;
            default:
                connectionString = PostgresConnectionString(settings, settings.Database);
                provider = PostgreSQLTools.GetDataProvider(PostgreSQLVersion.v15);
                break;
        }
    }

    public DatabaseSettings Settings { get; }

    /// <summary>
    /// SQLite's multi-thread mode, set once before the first connection opens: a connection is only ever
    /// used by one thread at a time (ADO.NET connections are not shared, the pool hands each to one user),
    /// so SQLite's own per-call connection mutex (serialized mode, the library's default) is pure cost —
    /// two mutex calls around every step and every column read. False when SQLite was already initialized
    /// by someone else in this process; it then stays serialized, which is correct, only slower.
    /// Memory statistics are turned off with it: kept, they take one process-wide mutex around every
    /// allocation and free of every connection, and under imaptest's load the threads queued on it
    /// (futex calls were 10% of the server's CPU, most of them in pthread mutex waits and wakes).
    /// Nothing reads them: they serve only sqlite3_status() and sqlite3_soft_heap_limit().
    /// </summary>
    static readonly Lazy<bool> SqliteThreadingMode = new(() =>
    {
        SQLitePCL.Batteries_V2.Init();
        if (SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MULTITHREAD) != SQLitePCL.raw.SQLITE_OK)
            return false;
        _ = SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    });

    public DatabaseEngine Engine => Settings.Engine;

    /// <summary>The isolation of write transactions: READ COMMITTED on the servers; SQLite has one writer and is serializable.</summary>
    public System.Data.IsolationLevel WriteIsolation => Engine == DatabaseEngine.Sqlite ? System.Data.IsolationLevel.Serializable : System.Data.IsolationLevel.ReadCommitted;

    /// <summary>Whether a failed transaction was a deadlock victim or a serialization failure that is safe to retry.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        MySqlException m => m.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout,
        PostgresException p => p.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure,
        SqliteException s => s.SqliteErrorCode is 5 or 6, // SQLITE_BUSY, SQLITE_LOCKED
        _ => e.InnerException is { } inner && IsTransient(inner),
    };

    /// <summary>
    /// Opens a connection, ready for queries. SQLite connections come from <see cref="idle"/>, each with
    /// the statements it prepared before (<see cref="RawSql"/>), and go back there when the
    /// <see cref="DataConnection"/> is closed; the servers' providers pool their own.
    /// </summary>
    public async Task<DataConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (Engine == DatabaseEngine.Sqlite)
        {
            if (idle.TryPop(out var kept))
                Interlocked.Decrement(ref idleCount);
            else
                kept = new PooledConnection(this, await OpenSqliteAsync(cancellationToken));
            return new DataConnection(new DataOptions().UseConnection(provider, kept.Connection, false).UseInterceptor(kept));
        }
        var connection = CreateConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return new DataConnection(new DataOptions().UseConnection(provider, connection, true));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    async Task<SqliteConnection> OpenSqliteAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            // FULL: a commit is on disk before it returns, so an acknowledgement survives power loss too.
            // busy_timeout: a writer that finds the database locked waits in SQLite's own busy handler,
            // which retries after 1, 2, 5, 10… ms; left to Microsoft.Data.Sqlite, it would sleep 150 ms
            // between tries (an IMAP APPEND behind a SELECT's \Recent claim took 190 ms).
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; PRAGMA busy_timeout = 60000;";
            await command.ExecuteNonQueryAsync(cancellationToken);
            RawSql.KeepStatements(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Open SQLite connections not in use, with their prepared statements; at most <see cref="DatabaseSettings.PoolSize"/>.</summary>
    readonly System.Collections.Concurrent.ConcurrentStack<PooledConnection> idle = new();
    int idleCount;

    /// <summary>
    /// A SQLite connection of the pool, which takes it back when the <see cref="DataConnection"/> it was
    /// handed out in has closed (commands and transaction disposed): only as it was handed out, open
    /// and with no transaction left running; anything else is closed for good.
    /// </summary>
    sealed class PooledConnection(Database database, SqliteConnection connection) : LinqToDB.Interceptors.DataContextInterceptor
    {
        public SqliteConnection Connection => connection;

        public override void OnClosed(LinqToDB.Interceptors.DataContextEventData eventData) => database.Release(this);

        public override Task OnClosedAsync(LinqToDB.Interceptors.DataContextEventData eventData)
        {
            database.Release(this);
            return Task.CompletedTask;
        }

        public void Close()
        {
            RawSql.DisposeKept(connection);
            connection.Dispose();
        }
    }

    void Release(PooledConnection pooled)
    {
        var connection = pooled.Connection;
        var clean = connection.State == System.Data.ConnectionState.Open && connection.Handle is { } handle && SQLitePCL.raw.sqlite3_get_autocommit(handle) != 0;
        if (clean && Interlocked.Increment(ref idleCount) <= Settings.PoolSize)
        {
            idle.Push(pooled);
            return;
        }
        if (clean)
            Interlocked.Decrement(ref idleCount);
        pooled.Close();
    }

    /// <summary>
    /// When the server is idle: closes the idle SQLite connections but <paramref name="keep"/>, each with its page
    /// cache and prepared statements, and has the kept ones free their page caches (PRAGMA shrink_memory).
    /// </summary>
    public void TrimIdle(int keep = 2)
    {
        var kept = new List<PooledConnection>();
        while (idle.TryPop(out var pooled))
        {
            Interlocked.Decrement(ref idleCount);
            if (kept.Count < keep)
                kept.Add(pooled);
            else
                pooled.Close();
        }
        foreach (var pooled in kept)
        {
            using (var command = pooled.Connection.CreateCommand())
            {
                command.CommandText = "PRAGMA shrink_memory";
                command.ExecuteNonQuery();
            }
            Release(pooled);
        }
    }

    /// <summary>Closes the idle SQLite connections (tests, before the files go).</summary>
    void ClearIdle()
    {
        while (idle.TryPop(out var pooled))
        {
            Interlocked.Decrement(ref idleCount);
            pooled.Close();
        }
    }

    /// <summary>Creates the database itself when the server allows it, as the original does at first start.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        switch (Engine)
        {
            case DatabaseEngine.Sqlite:
                await using (var connection = CreateConnection(connectionString))
                {
                    await connection.OpenAsync(cancellationToken);
                    await using var command = connection.CreateCommand();
                    command.CommandText = "PRAGMA journal_mode = WAL;";
                    await command.ExecuteScalarAsync(cancellationToken);
                }
                break;
            case DatabaseEngine.MySql:
                await using (var connection = new MySqlConnection(MySqlConnectionString(Settings, null)))
                {
                    await connection.OpenAsync(cancellationToken);
                    await using var command = connection.CreateCommand();
                    command.CommandText = $"CREATE DATABASE IF NOT EXISTS `{Settings.Database.Replace("`", "``", StringComparison.Ordinal)}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                break;
            case DatabaseEngine.PostgreSql:
                await using (var connection = new NpgsqlConnection(PostgresConnectionString(Settings, "postgres")))
                {
                    await connection.OpenAsync(cancellationToken);
                    await using var exists = connection.CreateCommand();
                    exists.CommandText = "SELECT 1 FROM pg_database WHERE datname = @name";
                    exists.Parameters.AddWithValue("name", Settings.Database);
                    if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
                        return;
                    await using var create = connection.CreateCommand();
                    create.CommandText = $"CREATE DATABASE \"{Settings.Database.Replace("\"", "\"\"", StringComparison.Ordinal)}\" ENCODING 'UTF8' TEMPLATE template0";
                    try
                    {
                        await create.ExecuteNonQueryAsync(cancellationToken);
                    }
                    catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
                    {
                        // another process created it at the same moment
                    }
                }
                break;
        }
    }

    /// <summary>Drops the database (tests only).</summary>
    public async Task DropAsync(CancellationToken cancellationToken = default)
    {
        switch (Engine)
        {
            case DatabaseEngine.Sqlite:
                ClearIdle();
                SqliteConnection.ClearAllPools();
                foreach (var suffix in new[] { "", "-wal", "-shm" })
                    File.Delete(Settings.SqlitePath + suffix);
                break;
            case DatabaseEngine.MySql:
                MySqlConnection.ClearAllPools();
                await using (var connection = new MySqlConnection(MySqlConnectionString(Settings, null)))
                {
                    await connection.OpenAsync(cancellationToken);
                    await using var command = connection.CreateCommand();
                    command.CommandText = $"DROP DATABASE IF EXISTS `{Settings.Database}`";
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                break;
            case DatabaseEngine.PostgreSql:
                NpgsqlConnection.ClearAllPools();
                await using (var connection = new NpgsqlConnection(PostgresConnectionString(Settings, "postgres")))
                {
                    await connection.OpenAsync(cancellationToken);
                    await using var command = connection.CreateCommand();
                    command.CommandText = $"DROP DATABASE IF EXISTS \"{Settings.Database}\" WITH (FORCE)";
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                break;
        }
    }

    DbConnection CreateConnection(string cs) => Engine switch
    {
        DatabaseEngine.Sqlite => new SqliteConnection(cs),
        DatabaseEngine.MySql => new MySqlConnection(cs),
        _ => new NpgsqlConnection(cs),
    };

    static string MySqlConnectionString(DatabaseSettings s, string? database)
    {
        var builder = new MySqlConnectionStringBuilder
        {
            UserID = s.User,
            Password = s.Password,
            MaximumPoolSize = (uint)s.PoolSize,
            AllowUserVariables = true,
            CharacterSet = "utf8mb4",
        };
        if (s.Socket.Length > 0)
        {
            builder.Server = s.Socket;
            builder.ConnectionProtocol = MySqlConnectionProtocol.UnixSocket;
        }
        else
        {
            builder.Server = s.Host;
            builder.Port = (uint)(s.Port == 0 ? 3306 : s.Port);
        }
        if (database is not null)
            builder.Database = database;
        return builder.ConnectionString;
    }

    static string PostgresConnectionString(DatabaseSettings s, string database) => new NpgsqlConnectionStringBuilder
    {
        Host = s.Host,
        Port = s.Port == 0 ? 5432 : s.Port,
        Username = s.User,
        Password = s.Password,
        Database = database,
        MaxPoolSize = s.PoolSize,
    }.ConnectionString;
}
