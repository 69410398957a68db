using System.CommandLine;
using System.Text.Json;
using Rookery.Common.Configuration;
using Spectre.Console;

namespace Rookery.Commands;

/// <summary><c>rookery config params [component]</c>: every parameter with its default, current value and where that came from.</summary>
public static class ConfigCommand
{
    public static Command Create(CommonOptions common)
    {
        var component = new Argument<string?>("component") { Description = "Component (" + string.Join(", ", ConfigSchema.All.Select(s => s.Name)) + "); all when omitted", Arity = ArgumentArity.ZeroOrOne };
        var @params = new Command("params", "Show every parameter: default, current value and its source (default, file:line, environment)") { component };
        @params.SetAction(async (parse, ct) =>
        {
            var name = parse.GetValue(component);
            IEnumerable<ComponentSchema> schemas = ConfigSchema.All;
            if (name is not null)
            {
                var schema = ConfigSchema.Find(name);
                if (schema is null)
                {
                    await Console.Error.WriteLineAsync($"rookery config: unknown component '{name}'; known: {string.Join(", ", ConfigSchema.All.Select(s => s.Name))}");
                    return 2;
                }
                schemas = [schema];
            }
            var paths = common.Paths(parse);
            var configs = new List<ComponentConfig>();
            try
            {
                foreach (var schema in schemas)
                    configs.Add(ConfigLoader.Load(schema, paths.ConfigDirectory, ConfigLoader.ProcessEnvironment()));
            }
            catch (ConfigException e)
            {
                await Console.Error.WriteLineAsync($"rookery: {e.Message}");
                return 78;
            }
            if (parse.GetValue(common.Json))
            {
                var rows = configs.SelectMany(c => c.All.Select(v => new
                {
                    component = c.Schema.Name,
                    name = v.Definition.Name,
                    @default = v.Definition.Default,
                    value = Shown(v),
                    source = v.Source.ToString(),
                }));
                Console.WriteLine(JsonSerializer.Serialize(rows, Indented));
                return 0;
            }
            foreach (var config in configs)
            {
                var table = new Table { Title = new TableTitle($"{config.Schema.Name} ({Path.Combine(paths.ConfigDirectory, config.Schema.FileName)})") }
                    .AddColumns("Parameter", "Default", "Value", "Source");
                foreach (var value in config.All)
                    table.AddRow(Markup.Escape(value.Definition.Name), Markup.Escape(value.Definition.Default), Markup.Escape(Shown(value)), Markup.Escape(value.Source.ToString()));
                AnsiConsole.Write(table);
            }
            return 0;
        });
        return new Command("config", "Inspect configuration") { @params };
    }

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    static string Shown(ParameterValue value) => value.Definition.IsSecret && value.Value.Length > 0 ? "********" : value.Value;
}
