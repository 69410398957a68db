using System.Collections;
using System.Data.Common;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using LinqToDB.Data;
using Microsoft.Data.Sqlite;

namespace Rookery.Store.Sql;

/// <summary>
/// The statements <see cref="RawSql"/> runs on a pooled SQLite connection, prepared once and run straight on
/// the connection's handle. Microsoft.Data.Sqlite makes two platform calls for every column it reads (the
/// type, then the value), each through a SafeHandle that is add-ref'd and released, and times every step
/// for its busy loop: under imaptest at 10 clients that wrapper was an eighth of the server's CPU, a third
/// of it in SafeHandle reference counting alone, for queries whose SQLite work was smaller. Here a column
/// is one call through a function pointer into the same library, without a GC transition.
/// The connection, its transactions and everything else stay Microsoft.Data.Sqlite's: a statement here
/// runs in whatever transaction the connection has open, as SQLite itself defines it.
/// </summary>
sealed unsafe class SqliteStatements : IDisposable
{
    /// <summary>The most statements one connection keeps: SQL made for its arguments (an IN list) is prepared for one run and let go.</summary>
    const int MaxKept = 100;

    readonly SqliteConnection connection;
    /// <summary>Statements by SQL; null for SQL of more than one statement.</summary>
    readonly Dictionary<string, Statement?> kept = new(StringComparer.Ordinal);

    public SqliteStatements(SqliteConnection connection) => this.connection = connection;

    IntPtr Db => connection.Handle?.DangerousGetHandle() ?? throw new InvalidOperationException("The SQLite connection is not open");

    /// <summary>
    /// The prepared statement for <paramref name="sql"/>: kept when <paramref name="keep"/> and there is room,
    /// else prepared for this run (<see cref="Statement.Owned"/>: dispose it after). Null when the SQL is more
    /// than one statement, which the caller runs through Microsoft.Data.Sqlite.
    /// </summary>
    public Statement? Get(string sql, bool keep)
    {
        if (keep && kept.TryGetValue(sql, out var statement))
            return statement;
        var own = !keep || kept.Count >= MaxKept;
        statement = Statement.Prepare(Db, sql, persistent: !own);
        if (statement is not null)
            statement.Owned = own;
        if (!own)
            kept.Add(sql, statement);
        return statement;
    }

    public void Dispose()
    {
        foreach (var statement in kept.Values)
            statement?.Close();
        kept.Clear();
    }

    /// <summary>The functions of the SQLite library Microsoft.Data.Sqlite uses (SQLitePCLRaw's e_sqlite3), by address.</summary>
    static class Native
    {
        public const int Ok = 0, Busy = 5, Locked = 6, Row = 100, Done = 101;
        public const int Integer = 1, Float = 2, Text = 3, Blob = 4, Null = 5;
        /// <summary>SQLITE_TRANSIENT: SQLite copies a bound value before the call returns.</summary>
        public static readonly IntPtr Transient = new(-1);

        static readonly IntPtr library = NativeLibrary.Load("e_sqlite3", typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly, null);

        static IntPtr F(string name) => NativeLibrary.GetExport(library, name);

        // may wait (I/O, the busy handler): a normal transition, so the GC can run meanwhile
        public static readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, uint, IntPtr*, byte**, int> PrepareV3 = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, uint, IntPtr*, byte**, int>)F("sqlite3_prepare_v3");
        public static readonly delegate* unmanaged[Cdecl]<IntPtr, int> Step = (delegate* unmanaged[Cdecl]<IntPtr, int>)F("sqlite3_step");
        public static readonly delegate* unmanaged[Cdecl]<IntPtr, int> Reset = (delegate* unmanaged[Cdecl]<IntPtr, int>)F("sqlite3_reset");
        public static readonly delegate* unmanaged[Cdecl]<IntPtr, int> FinalizeStatement = (delegate* unmanaged[Cdecl]<IntPtr, int>)F("sqlite3_finalize");

        // short, never blocking, never calling back: without a GC transition
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int> ClearBindings = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int>)F("sqlite3_clear_bindings");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int> BindParameterCount = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int>)F("sqlite3_bind_parameter_count");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, byte*, int> BindParameterIndex = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, byte*, int>)F("sqlite3_bind_parameter_index");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, long, int> BindInt64 = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, long, int>)F("sqlite3_bind_int64");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, double, int> BindDouble = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, double, int>)F("sqlite3_bind_double");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, int> BindNull = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, int>)F("sqlite3_bind_null");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, byte*, int, IntPtr, int> BindText = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, byte*, int, IntPtr, int>)F("sqlite3_bind_text");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, byte*, int, IntPtr, int> BindBlob = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, byte*, int, IntPtr, int>)F("sqlite3_bind_blob");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, int, int> BindZeroBlob = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, int, int>)F("sqlite3_bind_zeroblob");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int> ColumnCount = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int>)F("sqlite3_column_count");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, byte*> ColumnName = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, byte*>)F("sqlite3_column_name");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, int> ColumnType = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, int>)F("sqlite3_column_type");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, long> ColumnInt64 = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, long>)F("sqlite3_column_int64");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, double> ColumnDouble = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, double>)F("sqlite3_column_double");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, byte*> ColumnText = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, byte*>)F("sqlite3_column_text");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, byte*> ColumnBlob = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, byte*>)F("sqlite3_column_blob");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, int> ColumnBytes = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int, int>)F("sqlite3_column_bytes");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int> StmtReadonly = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int>)F("sqlite3_stmt_readonly");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int> Changes = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int>)F("sqlite3_changes");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, byte*> ErrorMessage = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, byte*>)F("sqlite3_errmsg");
        public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int> ExtendedErrorCode = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, int>)F("sqlite3_extended_errcode");
    }

    /// <summary>One prepared statement of a connection: bound, stepped and reset by one caller at a time.</summary>
    public sealed class Statement
    {
        readonly IntPtr db;
        IntPtr handle;
        readonly int parameterCount;
        readonly Dictionary<string, int> parameterIndexes = new(StringComparer.Ordinal);
        readonly string[] columnNames;
        readonly bool readOnly;

        Statement(IntPtr db, IntPtr handle)
        {
            this.db = db;
            this.handle = handle;
            parameterCount = Native.BindParameterCount(handle);
            columnNames = new string[Native.ColumnCount(handle)];
            readOnly = Native.StmtReadonly(handle) != 0;
        }

        /// <summary>Disposed after its one run (not kept by the connection).</summary>
        public bool Owned { get; set; }

        public int FieldCount => columnNames.Length;

        internal IntPtr Handle => handle;

        public static Statement? Prepare(IntPtr db, string sql, bool persistent)
        {
            var bytes = Encoding.UTF8.GetBytes(sql);
            IntPtr handle;
            byte* tail;
            fixed (byte* text = bytes)
            {
                var rc = Native.PrepareV3(db, text, bytes.Length, persistent ? 1u : 0u, &handle, &tail);
                if (rc != Native.Ok)
                    throw Error(db, rc);
                if (handle == IntPtr.Zero)
                    throw new InvalidOperationException("No SQL statement to run");
                // more than one statement: left to Microsoft.Data.Sqlite, which runs them one after another
                for (var rest = tail; rest < text + bytes.Length; rest++)
                {
                    if (!char.IsWhiteSpace((char)*rest) && *rest != (byte)';')
                    {
                        Native.FinalizeStatement(handle);
                        return null;
                    }
                }
            }
            return new Statement(db, handle);
        }

        /// <summary>Whether every value can be bound here (numbers, text, bytes, booleans, nulls).</summary>
        public static bool CanBind(DataParameter[] parameters)
        {
            foreach (var parameter in parameters)
            {
                if (parameter.Value is not (null or DBNull or long or int or short or byte or bool or string or byte[] or double or float))
                    return false;
            }
            return true;
        }

        /// <summary>Binds <paramref name="parameters"/> by name ("@name" in the SQL); every parameter of the SQL must have a value.</summary>
        public void Bind(DataParameter[] parameters)
        {
            var bound = 0;
            foreach (var parameter in parameters)
            {
                var index = IndexOf(parameter.Name!);
                if (index == 0)
                    continue;
                bound++;
                var rc = parameter.Value switch
                {
                    null or DBNull => Native.BindNull(handle, index),
                    long l => Native.BindInt64(handle, index, l),
                    int i => Native.BindInt64(handle, index, i),
                    short s => Native.BindInt64(handle, index, s),
                    byte b => Native.BindInt64(handle, index, b),
                    bool b => Native.BindInt64(handle, index, b ? 1 : 0),
                    double d => Native.BindDouble(handle, index, d),
                    float f => Native.BindDouble(handle, index, f),
                    string text => BindText(index, text),
                    byte[] bytes => BindBlob(index, bytes),
                    _ => throw new ArgumentException($"A value of type {parameter.Value.GetType()} cannot be bound to SQLite here", nameof(parameters)),
                };
                if (rc != Native.Ok)
                    throw Error(db, rc);
            }
            if (bound < parameterCount)
                throw new InvalidOperationException($"The statement has {parameterCount} parameters, {bound} of them given a value");
        }

        int IndexOf(string name)
        {
            if (parameterIndexes.TryGetValue(name, out var index))
                return index;
            var bytes = Encoding.UTF8.GetBytes("@" + name + "\0");
            fixed (byte* text = bytes)
                index = Native.BindParameterIndex(handle, text);
            parameterIndexes[name] = index;
            return index;
        }

        int BindText(int index, string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            if (length <= 1024)
            {
                var buffer = stackalloc byte[Math.Max(length, 1)];
                Encoding.UTF8.GetBytes(value, new Span<byte>(buffer, length));
                return Native.BindText(handle, index, buffer, length, Native.Transient);
            }
            var bytes = Encoding.UTF8.GetBytes(value);
            fixed (byte* p = bytes)
                return Native.BindText(handle, index, p, bytes.Length, Native.Transient);
        }

        int BindBlob(int index, byte[] value)
        {
            // a null pointer would bind NULL: an empty blob is a zero-length blob
            if (value.Length == 0)
                return Native.BindZeroBlob(handle, index, 0);
            fixed (byte* p = value)
                return Native.BindBlob(handle, index, p, value.Length, Native.Transient);
        }

        /// <summary>
        /// The first step: a row (true) or done (false). A database another connection holds locked past the
        /// busy handler's wait (busy_timeout), or a shared-cache lock, is tried again after a pause for up to
        /// <paramref name="timeoutSeconds"/>, as Microsoft.Data.Sqlite does for its commands.
        /// </summary>
        public bool First(int timeoutSeconds)
        {
            var rc = Native.Step(handle);
            if (rc is Native.Busy or Native.Locked)
            {
                var started = Environment.TickCount64;
                while (rc is Native.Busy or Native.Locked && Environment.TickCount64 - started < timeoutSeconds * 1000L)
                {
                    Native.Reset(handle);
                    Thread.Sleep(10);
                    rc = Native.Step(handle);
                }
            }
            return Result(rc);
        }

        /// <summary>The next step: a row (true) or done (false).</summary>
        public bool Next() => Result(Native.Step(handle));

        bool Result(int rc) => rc switch
        {
            Native.Row => true,
            Native.Done => false,
            _ => throw Error(db, rc),
        };

        /// <summary>Rows changed by this statement when it writes, else -1 (as ADO.NET's ExecuteNonQuery counts).</summary>
        public int Changes => readOnly ? -1 : Native.Changes(db);

        /// <summary>Makes the statement ready for its next run: reset, its values unbound.</summary>
        public void Done()
        {
            Native.Reset(handle);
            Native.ClearBindings(handle);
        }

        public void Close()
        {
            if (handle == IntPtr.Zero)
                return;
            Native.FinalizeStatement(handle);
            handle = IntPtr.Zero;
        }

        public string ColumnName(int ordinal) => columnNames[ordinal] ??= Marshal.PtrToStringUTF8((IntPtr)Native.ColumnName(handle, ordinal)) ?? "";

        public int ColumnType(int ordinal) => Native.ColumnType(handle, ordinal);

        public long Int64(int ordinal) => Native.ColumnInt64(handle, ordinal);

        public double Double(int ordinal) => Native.ColumnDouble(handle, ordinal);

        public string Text(int ordinal)
        {
            var text = Native.ColumnText(handle, ordinal);
            return text is null ? "" : Encoding.UTF8.GetString(text, Native.ColumnBytes(handle, ordinal));
        }

        public byte[] Blob(int ordinal)
        {
            var blob = Native.ColumnBlob(handle, ordinal);
            var length = Native.ColumnBytes(handle, ordinal);
            return blob is null || length == 0 ? [] : new ReadOnlySpan<byte>(blob, length).ToArray();
        }

        static SqliteException Error(IntPtr db, int rc) =>
            new($"SQLite Error {rc}: '{Marshal.PtrToStringUTF8((IntPtr)Native.ErrorMessage(db))}'.", rc, Native.ExtendedErrorCode(db));
    }

    /// <summary>The rows of a running <see cref="Statement"/>, for the readers written against ADO.NET's.</summary>
    public sealed class Reader(Statement statement, int timeoutSeconds) : DbDataReader
    {
        bool begun, done;

        public override bool Read()
        {
            if (done)
                return false;
            done = !(begun ? statement.Next() : statement.First(timeoutSeconds));
            begun = true;
            return !done;
        }

        object Null(int ordinal) => throw new InvalidOperationException($"The value of column {ordinal} ({statement.ColumnName(ordinal)}) is NULL");

        bool IsNull(int ordinal) => statement.ColumnType(ordinal) == Native.Null;

        public override long GetInt64(int ordinal) => IsNull(ordinal) ? (long)Null(ordinal) : statement.Int64(ordinal);

        public override int GetInt32(int ordinal) => checked((int)GetInt64(ordinal));

        public override short GetInt16(int ordinal) => checked((short)GetInt64(ordinal));

        public override byte GetByte(int ordinal) => checked((byte)GetInt64(ordinal));

        public override bool GetBoolean(int ordinal) => GetInt64(ordinal) != 0;

        public override double GetDouble(int ordinal) => IsNull(ordinal) ? (double)Null(ordinal) : statement.Double(ordinal);

        public override float GetFloat(int ordinal) => (float)GetDouble(ordinal);

        public override decimal GetDecimal(int ordinal) => statement.ColumnType(ordinal) switch
        {
            Native.Null => (decimal)Null(ordinal),
            Native.Text => decimal.Parse(statement.Text(ordinal), NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture),
            Native.Integer => statement.Int64(ordinal),
            _ => (decimal)statement.Double(ordinal),
        };

        public override string GetString(int ordinal) => IsNull(ordinal) ? (string)Null(ordinal) : statement.Text(ordinal);

        public override char GetChar(int ordinal) => GetString(ordinal) is [var c, ..] ? c : throw new InvalidCastException("An empty string is no character");

        public override DateTime GetDateTime(int ordinal) =>
            DateTime.Parse(GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

        public override Guid GetGuid(int ordinal) => statement.ColumnType(ordinal) switch
        {
            Native.Null => (Guid)Null(ordinal),
            Native.Blob => new Guid(statement.Blob(ordinal)),
            _ => Guid.Parse(statement.Text(ordinal)),
        };

        public override object GetValue(int ordinal) => statement.ColumnType(ordinal) switch
        {
            Native.Integer => statement.Int64(ordinal),
            Native.Float => statement.Double(ordinal),
            Native.Text => statement.Text(ordinal),
            Native.Blob => statement.Blob(ordinal),
            _ => DBNull.Value,
        };

        public override int GetValues(object[] values)
        {
            var count = Math.Min(values.Length, FieldCount);
            for (var i = 0; i < count; i++)
                values[i] = GetValue(i);
            return count;
        }

        public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length)
        {
            var blob = statement.Blob(ordinal);
            if (buffer is null)
                return blob.Length;
            var count = (int)Math.Max(0, Math.Min(length, blob.Length - dataOffset));
            Array.Copy(blob, dataOffset, buffer, bufferOffset, count);
            return count;
        }

        public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length)
        {
            var text = GetString(ordinal);
            if (buffer is null)
                return text.Length;
            var count = (int)Math.Max(0, Math.Min(length, text.Length - dataOffset));
            text.CopyTo((int)dataOffset, buffer, bufferOffset, count);
            return count;
        }

        public override bool IsDBNull(int ordinal) => IsNull(ordinal);

        public override string GetName(int ordinal) => statement.ColumnName(ordinal);

        public override int GetOrdinal(string name)
        {
            for (var i = 0; i < FieldCount; i++)
            {
                if (string.Equals(GetName(i), name, StringComparison.OrdinalIgnoreCase))
                    return i;
            }
            throw new ArgumentOutOfRangeException(nameof(name), name, "No column of that name");
        }

        public override string GetDataTypeName(int ordinal) => statement.ColumnType(ordinal) switch
        {
            Native.Integer => "INTEGER",
            Native.Float => "REAL",
            Native.Text => "TEXT",
            Native.Blob => "BLOB",
            _ => "NULL",
        };

        public override Type GetFieldType(int ordinal) => statement.ColumnType(ordinal) switch
        {
            Native.Integer => typeof(long),
            Native.Float => typeof(double),
            Native.Blob => typeof(byte[]),
            _ => typeof(string),
        };

        public override int FieldCount => statement.FieldCount;

        public override object this[int ordinal] => GetValue(ordinal);

        public override object this[string name] => GetValue(GetOrdinal(name));

        public override int RecordsAffected => statement.Changes;

        public override bool HasRows => begun && !done;

        public override bool IsClosed => done;

        public override int Depth => 0;

        public override bool NextResult() => false;

        public override IEnumerator GetEnumerator() => new DbEnumerator(this);
    }
}
