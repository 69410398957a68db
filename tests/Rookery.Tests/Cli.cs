using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Rookery.Tests;

/// <summary>Runs the real rookery executable as a child process, in a private config and data directory.</summary>
public sealed class Cli : IDisposable
{
    public Cli()
    {
        Root = Path.Combine(Path.GetTempPath(), "rookery_cli_" + Guid.NewGuid().ToString("N")[..12]);
        ConfigDirectory = Path.Combine(Root, "etc");
        DataDirectory = Path.Combine(Root, "data");
        System.IO.Directory.CreateDirectory(ConfigDirectory);
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

    public async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Root, true); } catch (IOException) { }
    }
}
