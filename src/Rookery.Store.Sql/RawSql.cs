using LinqToDB;
using LinqToDB.Data;

namespace Rookery.Store.Sql;

/// <summary>
/// Hand-written statements for the paths every delivery and every IMAP command takes.
/// linq2db 6 rebuilds and re-optimises the SQL of a LINQ query on each execution, even when the
/// query is cached (linq2db/linq2db#5302): a one-row select costs 20–60 KB of garbage and a few
/// hundred microseconds, a plain parameterised command a tenth of that. The SQL here is the
/// common subset of SQLite, MariaDB/MySQL and PostgreSQL (names are unquoted, as in the schema).
/// </summary>
static class RawSql
{
    public static DataParameter P(string name, long value) => new(name, value, DataType.Int64);

    public static DataParameter P(string name, long? value) => new(name, value, DataType.Int64);

    public static DataParameter P(string name, int value) => new(name, value, DataType.Int32);

    public static DataParameter P(string name, int? value) => new(name, value, DataType.Int32);

    public static DataParameter P(string name, string? value) => new(name, value, DataType.NVarChar);

    public static DataParameter P(string name, byte[]? value) => new(name, value, DataType.VarBinary);

    /// <summary>
    /// The rows of a query as <typeparamref name="T"/>: a row class mapped by its [Column] names, or the first
    /// column as a number or string. The statement is kept prepared by the connection, as every statement here.
    /// </summary>
    public static Task<List<T>> ListAsync<T>(this DataConnection db, string sql, CancellationToken cancellationToken, params DataParameter[] parameters) =>
        ReadAsync(db, sql, keep: true, Rows<T>.Reader(), parameters, cancellationToken);

    /// <summary><see cref="ListAsync{T}"/> for SQL made for one call (a list of parameters or values): not kept.</summary>
    public static Task<List<T>> ListOnceAsync<T>(this DataConnection db, string sql, CancellationToken cancellationToken, params DataParameter[] parameters) =>
        ReadAsync(db, sql, keep: false, Rows<T>.Reader(), parameters, cancellationToken);

    /// <summary>
    /// Reads rows as <typeparamref name="T"/> without linq2db's mapping, which makes a new command for every query
    /// (SQLite prepares its statement each time) and compiles a reader for every new text of SQL.
    /// </summary>
    static class Rows<T>
    {
        static readonly Dictionary<string, Action<T, System.Data.Common.DbDataReader, int>> setters = Setters();

        static Dictionary<string, Action<T, System.Data.Common.DbDataReader, int>> Setters()
        {
            var result = new Dictionary<string, Action<T, System.Data.Common.DbDataReader, int>>(StringComparer.OrdinalIgnoreCase);
            if (IsScalar)
                return result;
            foreach (var property in typeof(T).GetProperties())
            {
                if (property.GetCustomAttributes(typeof(LinqToDB.Mapping.ColumnAttribute), true).FirstOrDefault() is not LinqToDB.Mapping.ColumnAttribute column || !property.CanWrite)
                    continue;
                var convert = Converter(property.PropertyType);
                result[column.Name ?? property.Name] = (row, reader, i) => property.SetValue(row, reader.IsDBNull(i) ? null : convert(reader.GetValue(i)));
            }
            return result;
        }

        static bool IsScalar => typeof(T) == typeof(string) || typeof(T).IsValueType;

        /// <summary>What a column's value becomes for a property of <paramref name="type"/>: the engines return integers of several widths, booleans as numbers.</summary>
        static Func<object, object> Converter(Type type)
        {
            var target = Nullable.GetUnderlyingType(type) ?? type;
            if (target == typeof(byte[]))
                return value => value;
            if (target == typeof(string))
                return value => value as string ?? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;
            return value => value.GetType() == target ? value : Convert.ChangeType(value, target, System.Globalization.CultureInfo.InvariantCulture);
        }

        public static Func<System.Data.Common.DbDataReader, T> Reader()
        {
            if (IsScalar)
            {
                var convert = Converter(typeof(T));
                return reader => reader.IsDBNull(0) ? default! : (T)convert(reader.GetValue(0));
            }
            // the columns' order is the query's: looked up once per query, on its first row
            Action<T, System.Data.Common.DbDataReader, int>?[]? byOrdinal = null;
            return reader =>
            {
                if (byOrdinal is null)
                {
                    byOrdinal = new Action<T, System.Data.Common.DbDataReader, int>?[reader.FieldCount];
                    for (var i = 0; i < byOrdinal.Length; i++)
                        byOrdinal[i] = setters.GetValueOrDefault(reader.GetName(i));
                }
                var row = Activator.CreateInstance<T>();
                for (var i = 0; i < byOrdinal.Length; i++)
                    byOrdinal[i]?.Invoke(row, reader, i);
                return row;
            };
        }
    }

    /// <summary>Reads the rows of a query with <paramref name="read"/>: for results read often enough that mapping them by name shows.</summary>
    public static Task<List<T>> ReadAsync<T>(this DataConnection db, string sql, Func<System.Data.Common.DbDataReader, T> read, CancellationToken cancellationToken, params DataParameter[] parameters) =>
        ReadAsync(db, sql, keep: true, read, parameters, cancellationToken);

    /// <summary>
    /// <see cref="ReadAsync{T}(DataConnection, string, Func{System.Data.Common.DbDataReader, T}, CancellationToken, DataParameter[])"/>
    /// for SQL made for one call (an inline list): not kept by the connection, and read by position, never by
    /// linq2db's mapping, which compiles and keeps a reader for every new text of SQL it sees.
    /// </summary>
    public static Task<List<T>> ReadOnceAsync<T>(this DataConnection db, string sql, Func<System.Data.Common.DbDataReader, T> read, CancellationToken cancellationToken, params DataParameter[] parameters) =>
        ReadAsync(db, sql, keep: false, read, parameters, cancellationToken);

    static async Task<List<T>> ReadAsync<T>(DataConnection db, string sql, bool keep, Func<System.Data.Common.DbDataReader, T> read, DataParameter[] parameters, CancellationToken cancellationToken)
    {
        if (Prepared(db, sql, keep, parameters, cancellationToken) is { } statement)
        {
            return OnRows(statement, reader =>
            {
                var rows = new List<T>();
                while (reader.Read())
                    rows.Add(read(reader));
                return rows;
            });
        }
        var command = Command(db, sql, parameters);
        try
        {
            var rows = new List<T>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                rows.Add(read(reader));
            return rows;
        }
        finally
        {
            await command.DisposeAsync();
        }
    }

    public static async Task<T?> FirstOrDefaultAsync<T>(this DataConnection db, string sql, CancellationToken cancellationToken, params DataParameter[] parameters) where T : class =>
        (await ListAsync<T>(db, sql, cancellationToken, parameters)).FirstOrDefault();

    public static async Task<T> ScalarAsync<T>(this DataConnection db, string sql, CancellationToken cancellationToken, params DataParameter[] parameters)
    {
        object? value;
        if (Prepared(db, sql, keep: true, parameters, cancellationToken) is { } statement)
        {
            // the first column of the first row; an INSERT … RETURNING has made its change by then
            value = OnRows(statement, reader => reader.Read() && reader.FieldCount > 0 ? reader.GetValue(0) : null);
        }
        else
        {
            var command = Command(db, sql, parameters);
            try
            {
                value = await command.ExecuteScalarAsync(cancellationToken);
            }
            finally
            {
                await command.DisposeAsync();
            }
        }
        if (value is null or DBNull)
            return default!;
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static Task<int> RunAsync(this DataConnection db, string sql, CancellationToken cancellationToken, params DataParameter[] parameters) =>
        ExecuteAsync(db, sql, keep: true, parameters, cancellationToken);

    /// <summary>Runs SQL made for one call (an inline list), which a connection that keeps its statements does not keep.</summary>
    public static Task<int> RunOnceAsync(this DataConnection db, string sql, CancellationToken cancellationToken, params DataParameter[] parameters) =>
        ExecuteAsync(db, sql, keep: false, parameters, cancellationToken);

    static async Task<int> ExecuteAsync(DataConnection db, string sql, bool keep, DataParameter[] parameters, CancellationToken cancellationToken)
    {
        if (Prepared(db, sql, keep, parameters, cancellationToken) is { } statement)
        {
            return OnRows(statement, reader =>
            {
                while (reader.Read())
                {
                }
                return reader.RecordsAffected;
            });
        }
        var command = Command(db, sql, parameters);
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await command.DisposeAsync();
        }
    }

    /// <summary>Runs an INSERT and returns the identity it generated.</summary>
    public static Task<long> InsertReturningIdAsync(this DataConnection db, DatabaseEngine engine, string insert, CancellationToken cancellationToken, params DataParameter[] parameters) =>
        // MySQL has no INSERT … RETURNING (MariaDB has, from 10.5); LAST_INSERT_ID() is per connection.
        db.ScalarAsync<long>(engine == DatabaseEngine.MySql ? insert + "; SELECT LAST_INSERT_ID()" : insert + " RETURNING id", cancellationToken, parameters);

    /// <summary>How long a statement waits for a database another connection holds locked, as Microsoft.Data.Sqlite's default command timeout.</summary>
    const int SqliteTimeoutSeconds = 30;

    /// <summary>The statements of the connections that keep theirs (<see cref="KeepStatements"/>): SQLite's, pooled.</summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<System.Data.Common.DbConnection, SqliteStatements> kept = new();

    /// <summary>
    /// Makes <paramref name="connection"/> keep each statement it runs through this class prepared for
    /// the next run of the same SQL (SQLite prepares a statement anew for every new command: a tenth of
    /// a write's time), for as long as the connection lives, through every <see cref="DataConnection"/>
    /// it is handed out in (<see cref="Database.OpenAsync"/>), and run on its handle (<see cref="SqliteStatements"/>).
    /// <see cref="DisposeKept"/> before closing it.
    /// </summary>
    public static void KeepStatements(Microsoft.Data.Sqlite.SqliteConnection connection) =>
        kept.AddOrUpdate(connection, new SqliteStatements(connection));

    /// <summary>Finalizes the statements a connection kept.</summary>
    public static void DisposeKept(System.Data.Common.DbConnection connection)
    {
        if (!kept.TryGetValue(connection, out var statements))
            return;
        kept.Remove(connection);
        statements.Dispose();
    }

    /// <summary>
    /// The SQLite statement for <paramref name="sql"/> on a connection that keeps its statements, bound to
    /// <paramref name="parameters"/>; null where the SQL goes through ADO.NET (the servers, SQL of several
    /// statements, values bound only there). <see cref="Release"/> it after the run.
    /// </summary>
    static SqliteStatements.Statement? Prepared(DataConnection db, string sql, bool keep, DataParameter[] parameters, CancellationToken cancellationToken)
    {
        if (!kept.TryGetValue(db.OpenDbConnection(), out var statements) || !SqliteStatements.Statement.CanBind(parameters))
            return null;
        cancellationToken.ThrowIfCancellationRequested();
        var statement = statements.Get(sql, keep);
        if (statement is null)
            return null;
        try
        {
            statement.Bind(parameters);
        }
        catch
        {
            Release(statement);
            throw;
        }
        return statement;
    }

    /// <summary>Runs <paramref name="run"/> over the rows of a bound statement, then makes the statement ready for its next run.</summary>
    static T OnRows<T>(SqliteStatements.Statement statement, Func<SqliteStatements.Reader, T> run)
    {
        try
        {
            return run(new SqliteStatements.Reader(statement, SqliteTimeoutSeconds));
        }
        finally
        {
            Release(statement);
        }
    }

    static void Release(SqliteStatements.Statement statement)
    {
        statement.Done();
        if (statement.Owned)
            statement.Close();
    }

    /// <summary>A plain ADO.NET command on the connection and in the transaction of <paramref name="db"/>, for one run: the caller disposes it.</summary>
    static System.Data.Common.DbCommand Command(DataConnection db, string sql, DataParameter[] parameters)
    {
        var command = db.OpenDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Transaction;
        foreach (var parameter in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@" + parameter.Name;
            p.DbType = parameter.DataType switch
            {
                DataType.Int64 => System.Data.DbType.Int64,
                DataType.Int32 => System.Data.DbType.Int32,
                DataType.VarBinary => System.Data.DbType.Binary,
                DataType.Boolean => System.Data.DbType.Boolean,
                _ => System.Data.DbType.String,
            };
            p.Value = parameter.Value ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        return command;
    }

    /// <summary>Numbers (UIDs, ids) listed inline: they need no parameters, and make no parameter limit a concern.</summary>
    public static string InlineList(IEnumerable<long> numbers) => string.Join(',', numbers.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>
    /// Makes an extracted field storable on every engine: PostgreSQL refuses NUL in text, and a
    /// cut must not split a surrogate pair. The raw message keeps the original bytes.
    /// </summary>
    public static string Clean(string value, int maxLength)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
            value = value.Replace("\0", "", StringComparison.Ordinal);
        if (value.Length <= maxLength)
            return value;
        var cut = maxLength;
        if (char.IsHighSurrogate(value[cut - 1]))
            cut--;
        return value[..cut];
    }

    /// <summary><see cref="Clean(string, int)"/> for an optional field.</summary>
    public static string? CleanOptional(string? value, int maxLength) => value is null ? null : Clean(value, maxLength);
}
