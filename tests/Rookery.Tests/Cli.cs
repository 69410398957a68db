using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Rookery.Tests;

/// <summary>Runs the real rookery executable as a child process, in a private config and data directory.</summary>
public sealed class Cli : IDisposable
{
    public Cli()
    {
        var name = "rookery_cli_" + Guid.NewGuid().ToString("N")[..12];
        Root = Path.Combine(Path.GetTempPath(), name);
        ConfigDirectory = Path.Combine(Root, "etc");
        DataDirectory = Path.Combine(Root, "data");
        System.IO.Directory.CreateDirectory(ConfigDirectory);
        // ROOKERY_TEST_DB picks the engine, set the way an administrator of the container would: by environment.
        switch (Engine)
        {
            case "mysql":
                Environment["DATABASE_ENGINE"] = "mysql";
                Environment["MYSQL_HOST"] = Required("ROOKERY_TEST_MYSQL_HOST");
                Environment["MYSQL_PORT"] = Required("ROOKERY_TEST_MYSQL_PORT");
                Environment["MYSQL_USER"] = Required("ROOKERY_TEST_MYSQL_USER");
                Environment["MYSQL_PASSWORD"] = System.Environment.GetEnvironmentVariable("ROOKERY_TEST_MYSQL_PASSWORD") ?? "";
                Environment["MYSQL_DATABASE"] = name;
                database = new Store.Sql.DatabaseSettings(Store.Sql.DatabaseEngine.MySql)
                {
                    Host = Environment["MYSQL_HOST"], Port = int.Parse(Environment["MYSQL_PORT"]), User = Environment["MYSQL_USER"], Password = Environment["MYSQL_PASSWORD"], Database = name,
                };
                break;
            case "postgresql":
                Environment["DATABASE_ENGINE"] = "postgresql";
                Environment["POSTGRESQL_HOST"] = Required("ROOKERY_TEST_PG_HOST");
                Environment["POSTGRESQL_PORT"] = Required("ROOKERY_TEST_PG_PORT");
                Environment["POSTGRESQL_USER"] = Required("ROOKERY_TEST_PG_USER");
                Environment["POSTGRESQL_PASSWORD"] = System.Environment.GetEnvironmentVariable("ROOKERY_TEST_PG_PASSWORD") ?? "";
                Environment["POSTGRESQL_DATABASE"] = name;
                database = new Store.Sql.DatabaseSettings(Store.Sql.DatabaseEngine.PostgreSql)
                {
                    Host = Environment["POSTGRESQL_HOST"], Port = int.Parse(Environment["POSTGRESQL_PORT"]), User = Environment["POSTGRESQL_USER"], Password = Environment["POSTGRESQL_PASSWORD"], Database = name,
                };
                break;
        }
    }

    readonly Store.Sql.DatabaseSettings? database;

    /// <summary>Where the rookery processes of this test keep their database (SQLite in the data directory unless ROOKERY_TEST_DB says otherwise).</summary>
    public Store.Sql.DatabaseSettings Database => database ?? new Store.Sql.DatabaseSettings(Store.Sql.DatabaseEngine.Sqlite) { SqlitePath = Path.Combine(DataDirectory, "rookery.db") };

    public static string Engine => System.Environment.GetEnvironmentVariable("ROOKERY_TEST_DB") is { Length: > 0 } e ? e : "sqlite";

    /// <summary>Drops the engine settings, for tests about configuration itself.</summary>
    public void UseDefaultEngine()
    {
        foreach (var key in Environment.Keys.Where(k => k.StartsWith("MYSQL_", StringComparison.Ordinal) || k.StartsWith("POSTGRESQL_", StringComparison.Ordinal) || k == "DATABASE_ENGINE").ToList())
            Environment.Remove(key);
    }

    static string Required(string name) =>
        System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : throw new InvalidOperationException($"{name} must be set when ROOKERY_TEST_DB={Engine} (test.sh sets it)");

    public string Root { get; }
    public string ConfigDirectory { get; }
    public string DataDirectory { get; }
    public Dictionary<string, string> Environment { get; } = [];

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "rookery.dll");

    public void WriteConfig(string file, string text) => File.WriteAllText(Path.Combine(ConfigDirectory, file), text);

    public ProcessStartInfo StartInfo(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Executable);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        // Nothing of the machine's environment that Rookery reads may leak into a test.
        foreach (var key in System.Environment.GetEnvironmentVariables().Keys.Cast<string>())
            if (key.StartsWith("ROOKERY_", StringComparison.Ordinal) || key.StartsWith("SERVER_", StringComparison.Ordinal) ||
                key.StartsWith("MYSQL_", StringComparison.Ordinal) || key.StartsWith("POSTGRESQL_", StringComparison.Ordinal) ||
                key is "LOG_LEVEL" or "DISABLED_FEATURES" or "DATABASE_ENGINE")
                start.Environment.Remove(key);
        start.Environment["ROOKERY_CONFIG_DIR"] = ConfigDirectory;
        start.Environment["ROOKERY_DATA_DIR"] = DataDirectory;
        foreach (var (key, value) in Environment)
            start.Environment[key] = value;
        return start;
    }

    public Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    public async Task<(int ExitCode, string Out, string Error)> RunWithInputAsync(byte[]? input, params string[] args)
    {
        var start = StartInfo(args);
        start.RedirectStandardInput = true;
        using var process = Process.Start(start)!;
        if (input is not null)
            await process.StandardInput.BaseStream.WriteAsync(input);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Reads the banner of a started <c>rookery serve</c> up to its last line, so its listeners are up.</summary>
    public static async Task<List<string>> WaitForBannerAsync(Process server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var banner = new List<string>();
        while (await server.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            banner.Add(line);
            if (line.StartsWith("Press Ctrl+C", StringComparison.Ordinal))
                return banner;
        }
        throw new InvalidOperationException("rookery serve exited before it was ready: " + await server.StandardError.ReadToEndAsync());
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (database is not null)
        {
            try { new Store.Sql.Database(database).DropAsync().GetAwaiter().GetResult(); } catch (Exception) { /* best effort */ }
        }
        try { System.IO.Directory.Delete(Root, true); } catch (IOException) { }
    }
}
