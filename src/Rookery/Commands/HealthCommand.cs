using System.CommandLine;
using System.Text.Json;

namespace Rookery.Commands;

/// <summary><c>rookery health</c>: exit 0 when the database and the blob store are reachable, 1 when not.</summary>
public static class HealthCommand
{
    public static Command Create(CommonOptions common)
    {
        var command = new Command("health", "Check that the database and blob store are reachable (exit 0 healthy, 1 not)");
        command.SetAction((parse, ct) => AdminCommand.WithRuntime(common, parse, async runtime =>
        {
            var report = await runtime.CheckHealthAsync(ct);
            if (parse.GetValue(common.Json))
                Console.WriteLine(JsonSerializer.Serialize(new { status = report.Healthy ? "healthy" : "unhealthy", database = report.Database, blobs = report.Blobs }));
            else
                Console.WriteLine($"{(report.Healthy ? "healthy" : "unhealthy")}: database {report.Database}; blobs {report.Blobs}");
            return report.Healthy ? 0 : 1;
        }, ct));
        return command;
    }
}
