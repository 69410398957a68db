using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rookery.Hosting;

/// <summary>
/// Runs a maintenance job every <paramref name="interval"/>, the first time one interval after start. A failure
/// is logged and the job runs again at its next turn; what it reports (if anything) is logged at Information.
/// </summary>
public sealed class PeriodicJob(string name, TimeSpan interval, Func<CancellationToken, Task<string?>> run, ILogger log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await run(stoppingToken) is { } report)
                    log.LogInformation("{Job}: {Report}", name, report);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "{Job} failed; retrying in {Interval}", name, interval);
            }
        }
    }
}
