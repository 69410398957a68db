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

    public static DataParameter P(string name, string value) => new(name, value, DataType.NVarChar);

    public static DataParameter P(string name, byte[]? value) => new(name, value, DataType.VarBinary);

    public static Task<List<T>> ListAsync<T>(this DataConnection db, string sql, CancellationToken cancellationToken, params DataParameter[] parameters) =>
        db.QueryToListAsync<T>(sql, cancellationToken, parameters);

    public static async Task<T?> FirstOrDefaultAsync<T>(this DataConnection db, string sql, CancellationToken cancellationToken, params DataParameter[] parameters) where T : class =>
        (await db.QueryToListAsync<T>(sql, cancellationToken, parameters)).FirstOrDefault();

    public static async Task<T> ScalarAsync<T>(this DataConnection db, string sql, CancellationToken cancellationToken, params DataParameter[] parameters)
    {
        await using var command = Command(db, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        if (value is null or DBNull)
            return default!;
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<int> RunAsync(this DataConnection db, string sql, CancellationToken cancellationToken, params DataParameter[] parameters)
    {
        await using var command = Command(db, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs an INSERT and returns the identity it generated.</summary>
    public static Task<long> InsertReturningIdAsync(this DataConnection db, DatabaseEngine engine, string insert, CancellationToken cancellationToken, params DataParameter[] parameters) =>
        // MySQL has no INSERT … RETURNING (MariaDB has, from 10.5); LAST_INSERT_ID() is per connection.
        db.ScalarAsync<long>(engine == DatabaseEngine.MySql ? insert + "; SELECT LAST_INSERT_ID()" : insert + " RETURNING id", cancellationToken, parameters);

    /// <summary>A plain ADO.NET command on the connection and in the transaction of <paramref name="db"/>.</summary>
    static System.Data.Common.DbCommand Command(DataConnection db, string sql, DataParameter[] parameters)
    {
        var command = db.OpenDbConnection().CreateCommand();
        command.Transaction = db.Transaction;
        command.CommandText = sql;
        foreach (var parameter in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@" + parameter.Name;
            p.DbType = parameter.DataType switch
            {
                DataType.Int64 => System.Data.DbType.Int64,
                DataType.Int32 => System.Data.DbType.Int32,
                DataType.VarBinary => System.Data.DbType.Binary,
                _ => System.Data.DbType.String,
            };
            p.Value = parameter.Value ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        return command;
    }
}
