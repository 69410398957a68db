using System.Diagnostics;

namespace Rookery.Tests;

/// <summary>Runs a real client program (curl, openssl…) and collects what it printed.</summary>
static class Tools
{
    public static async Task<(int ExitCode, string Out, string Error)> RunAsync(string program, IEnumerable<string> arguments, string? input = null, int timeoutSeconds = 60)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
            await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in {timeoutSeconds} s; output so far: {await output}");
        }
        return (process.ExitCode, await output, await error);
    }
}
