using System.Diagnostics;
using System.Globalization;

namespace LdapLoad;

/// <summary>One client: its connection (if it keeps one) and the operation it repeats for each key.</summary>
interface IWorker : IAsyncDisposable
{
    Task OpenAsync(CancellationToken cancellationToken);

    /// <summary>Does one operation for <paramref name="key"/>; throws when it failed or got an unexpected answer.</summary>
    Task RunAsync(string key, CancellationToken cancellationToken);
}

/// <summary>
/// Drives C workers over a list of keys, each key taken exactly once (so a pass over fresh keys is a
/// cold pass), after an unmeasured pass over the warm-up keys; prints WINDOW START/END (with the
/// client's CPU seconds, for the driver to sample the servers' CPU) and one result line.
/// </summary>
static class Runner
{
    public static async Task<int> RunAsync(Options o, Func<IWorker> create)
    {
        var keys = await File.ReadAllLinesAsync(o.Keys);
        var warmup = o.WarmupKeys.Length > 0 ? await File.ReadAllLinesAsync(o.WarmupKeys) : [];
        var workers = new IWorker[o.Clients];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = create();
            await workers[i].OpenAsync(CancellationToken.None);
        }
        try
        {
            if (warmup.Length > 0)
            {
                var (_, warmupErrors, lastWarmupError) = await PassAsync(workers, warmup);
                if (warmupErrors > 0)
                    Console.Error.WriteLine($"{o.Label}: warm-up: {warmupErrors} errors, last: {lastWarmupError}");
            }
            var process = Process.GetCurrentProcess();
            Console.WriteLine($"WINDOW START {F(process.TotalProcessorTime.TotalSeconds, "F2")}");
            var cpu0 = process.TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            var (samples, errors, lastError) = await PassAsync(workers, keys);
            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            Console.WriteLine($"WINDOW END {F(process.TotalProcessorTime.TotalSeconds, "F2")}");
            if (errors > 0)
                Console.Error.WriteLine($"{o.Label}: {errors} of {keys.Length} failed, last: {lastError}");

            samples.Sort();
            var line = string.Join('\t', o.Label, o.Clients, samples.Count, errors, F(seconds, "F3"), F(samples.Count / seconds, "F1"),
                Ms(samples, 0.50), Ms(samples, 0.90), Ms(samples, 0.99), Ms(samples, 1.0), F(cpu, "F2"));
            var text = "label\tclients\tcount\terrors\tseconds\tper_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tclient_cpu_s\n" + line + "\n";
            if (o.Output.Length > 0)
                await File.WriteAllTextAsync(o.Output, text);
            else
                Console.Write(text);
            return errors == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var worker in workers)
                await worker.DisposeAsync();
        }
    }

    /// <summary>Every key once, spread over the workers as they become free; the latencies of those that succeeded.</summary>
    static async Task<(List<long> Samples, int Errors, string? LastError)> PassAsync(IWorker[] workers, string[] keys)
    {
        var next = -1;
        var errors = 0;
        string? lastError = null;
        var perWorker = await Task.WhenAll(workers.Select(worker => Task.Factory.StartNew(async () =>
        {
            var samples = new List<long>(keys.Length / workers.Length + 1);
            int i;
            while ((i = Interlocked.Increment(ref next)) < keys.Length)
            {
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    await worker.RunAsync(keys[i], CancellationToken.None);
                    samples.Add(Stopwatch.GetTimestamp() - t0);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref errors);
                    lastError = $"{keys[i]}: {e.GetType().Name}: {e.Message}";
                }
            }
            return samples;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()));
        return ([.. perWorker.SelectMany(s => s)], errors, lastError);
    }

    static string Ms(List<long> sorted, double quantile)
    {
        if (sorted.Count == 0)
            return "0";
        var index = (int)Math.Ceiling(quantile * sorted.Count) - 1;
        return F(sorted[Math.Clamp(index, 0, sorted.Count - 1)] * 1000.0 / Stopwatch.Frequency, "F3");
    }

    static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
