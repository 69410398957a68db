using System.CommandLine;
using Rookery.Common.Configuration;

namespace Rookery.Commands;

/// <summary><c>rookery health</c>: exit 0 when the database and the blob store are reachable, 1 when not, for whatever reason.</summary>
public static class HealthCommand
{
    public static Command Create(CommonOptions common)
    {
        var command = new Command("health", "Check that the database and blob store are reachable (exit 0 healthy, 1 not)");
        command.SetAction(async (parse, ct) =>
        {
            HealthReport report;
            try
            {
                var config = common.LoadServerConfig(parse);
                using var loggers = Logging.CreateFactory(Math.Min(config.GetInt("log_level"), 2));
                var runtime = await ServerRuntime.StartAsync(config, common.Paths(parse), loggers, ct);
                report = await runtime.CheckHealthAsync(ct);
            }
            catch (ConfigException e)
            {
                report = new HealthReport(false, "not checked: " + e.Message, "not checked");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                report = new HealthReport(false, "unreachable: " + e.Message, "not checked");
            }
            if (parse.GetValue(common.Json))
                Console.WriteLine(report.ToJson());
            else
                Console.WriteLine($"{(report.Healthy ? "healthy" : "unhealthy")}: database {report.Database}; blobs {report.Blobs}");
            return report.Healthy ? 0 : 1;
        });
        return command;
    }
}
