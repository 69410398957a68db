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
        // IMAP and POP3 stay off unless a test listens on ports of its own: the defaults (143, 110) are shared by every test.
        foreach (var service in new[] { "IMAP", "IMAPS", "POP3", "POP3S" })
            Environment[service + "_LISTEN"] = "";
        // ROOKERY_TEST_DB picks the engine, set the way an administrator of the container would: by environment.
        if (Engine == "sqlite")
            return;
        database = Store.Tests.TestDatabase.SettingsFor(Root, name);
        var prefix = database.Engine == Store.Sql.DatabaseEngine.MySql ? "MYSQL_" : "POSTGRESQL_";
        Environment["DATABASE_ENGINE"] = Engine;
        Environment[prefix + "HOST"] = database.Host;
        Environment[prefix + "PORT"] = database.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Environment[prefix + "USER"] = database.User;
        Environment[prefix + "PASSWORD"] = database.Password;
        Environment[prefix + "DATABASE"] = database.Database;
    }

    readonly Store.Sql.DatabaseSettings? database;

    /// <summary>Where the rookery processes of this test keep their database (SQLite in the data directory unless ROOKERY_TEST_DB says otherwise).</summary>
    public Store.Sql.DatabaseSettings Database => database ?? new Store.Sql.DatabaseSettings(Store.Sql.DatabaseEngine.Sqlite) { SqlitePath = Path.Combine(DataDirectory, "rookery.db") };

    public static string Engine => Store.Tests.TestDatabase.EngineName;

    /// <summary>Drops the engine settings, for tests about configuration itself.</summary>
    public void UseDefaultEngine()
    {
        foreach (var key in Environment.Keys.Where(k => k.StartsWith("MYSQL_", StringComparison.Ordinal) || k.StartsWith("POSTGRESQL_", StringComparison.Ordinal) || k == "DATABASE_ENGINE").ToList())
            Environment.Remove(key);
    }

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

    static int nextPort = 20000 + (System.Environment.ProcessId % 400) * 20;

    /// <summary>
    /// A loopback port nothing listens on, below the kernel's ephemeral range (32768 and up) so
    /// that no outgoing connection — a database client's, say — takes it before the server binds
    /// it, and never the same one twice in this test run.
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref nextPort);
            if (port >= 32000)
                Interlocked.Exchange(ref nextPort, 20000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // in use: try the next one
            }
        }
    }

    public void Dispose()
    {
        if (database is not null)
        {
            try { new Store.Sql.Database(database).DropAsync().GetAwaiter().GetResult(); } catch (Exception) { /* best effort */ }
        }
        // a server or Postfix process of the test may still be writing its last files: try a few times
        for (var attempt = 0; attempt < 5 && System.IO.Directory.Exists(Root); attempt++)
        {
            try { System.IO.Directory.Delete(Root, true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Thread.Sleep(200); }
        }
    }
}
