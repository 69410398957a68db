using System.CommandLine;
using Rookery;
using Rookery.Commands;
using Rookery.Common.Configuration;

// Tables piped to files or scripts should not wrap at a guessed terminal width.
if (Console.IsOutputRedirected)
    Spectre.Console.AnsiConsole.Profile.Width = 240;

var common = new CommonOptions();
var root = new RootCommand("Rookery: mail, calendar and contacts server")
{
    common.ConfigDir,
    common.DataDir,
    common.Json,
};
root.Subcommands.Add(ServeCommand.Create(common));
root.Subcommands.Add(AdminCommand.Create(common));
root.Subcommands.Add(ConfigCommand.Create(common));
root.Subcommands.Add(HealthCommand.Create(common));
root.Subcommands.Add(DagentCommand.Create(common));

try
{
    // SIGTERM and SIGINT cancel the command; serve then stops its listeners, ends its sessions and
    // waits for them (up to the host's 30 s). System.CommandLine's default lets the signal kill the
    // process 2 s after it arrived, whatever was still being written.
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(40) });
}
catch (ConfigException e)
{
    await Console.Error.WriteLineAsync($"rookery: {e.Message}");
    return 78; // EX_CONFIG
}
