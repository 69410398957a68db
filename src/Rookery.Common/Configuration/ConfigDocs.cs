using System.Text;

namespace Rookery.Common.Configuration;

/// <summary>Renders docs/configuration.md from the schemas, so the reference cannot drift from the code.</summary>
public static class ConfigDocs
{
    private const string Introduction = """
        # Configuration

        <!-- Generated from the schemas in src/Rookery.Common/Configuration by ConfigDocs.RenderMarkdown().
             Edit those, then run: ROOKERY_UPDATE_DOCS=1 dotnet test tests/Rookery.Common.Tests -->

        Rookery reads the configuration files of Kopano Groupware Core: the same syntax and, wherever the
        original has them, the same parameter names, so existing files and knowledge carry over.

        ## Files

        Each component reads `/etc/rookery/<component>.cfg`: `server.cfg` for the server, `unix.cfg` for the
        unix user plugin. Another directory can be given with `--config-dir` or the `ROOKERY_CONFIG_DIR`
        environment variable. A missing file is not an error; every parameter then has its default.

        ## Syntax

        ```
        # Only a # at the start of a line begins a comment,
        # so this password is "s3cret#1":
        mysql_password = s3cret#1
        mysql_host     = db.example.org
        !include database.cfg
        !propmap /usr/share/rookery/ldap.propmap.cfg
        ```

        - One `name = value` per line. Whitespace around the name and the value is ignored; the value may be empty.
        - A line whose first non-blank character is `#` is a comment. A `#` anywhere else is part of the value.
        - Parameter names are not case-sensitive. A parameter set twice keeps the value set last.
        - `!include FILE` reads another configuration file at that point, as if its lines were written there:
          it overrides the lines before it and the lines after it override it. A relative `FILE` is resolved
          against the directory of the file that includes it. Includes may nest; a cycle is an error.
        - `!propmap FILE` reads a property map (same `name = value` syntax, resolved the same way) that the
          component uses as it sees fit, e.g. for LDAP attribute names. Its names are not checked.
        - An unknown parameter, a line without `=` or a value of the wrong kind is an error that names the
          file and line; the component does not start.

        Values: integers are decimal; yes/no parameters also accept true/false, on/off and 1/0; lists are
        words separated by spaces and/or commas; listen addresses are `host:port`, `*:port`, `[ipv6]:port` or
        `unix:/path`, separated by spaces.

        ## Environment variables

        As in the mlan/kopano container image, a parameter can be set by an environment variable named after
        it in upper case:

        - `MYSQL_HOST=db.example.org` sets `mysql_host` in every component that has that parameter;
        - `SERVER_MYSQL_HOST=db.example.org` sets it in the `server` component only, and wins over `MYSQL_HOST`.

        Only the names of declared parameters are looked at; other variables (`PATH`, `HOME`, ...) are ignored.
        Values are checked like those in files, and an error names the variable.

        ## Precedence

        From lowest to highest:

        1. the default;
        2. the configuration file, with the files it includes (later lines win);
        3. the plain environment variable (`MYSQL_HOST`);
        4. the component-prefixed environment variable (`SERVER_MYSQL_HOST`);
        5. command-line options that set parameters, such as `--demo`.

        `rookery config params [component]` lists every parameter with its current value and where the value
        came from: `default`, a file and line such as `/etc/rookery/server.cfg:12`, or a variable such as
        `env SERVER_MYSQL_HOST`.
        """;

    public static string RenderMarkdown()
    {
        var markdown = new StringBuilder(Introduction.ReplaceLineEndings("\n")).Append('\n');
        foreach (var schema in ConfigSchema.All)
        {
            markdown.Append($"\n## {schema.Name} ({schema.FileName})\n\n");
            markdown.Append("| Parameter | Default | Values | Description |\n");
            markdown.Append("|---|---|---|---|\n");
            foreach (var parameter in schema.Parameters)
            {
                var defaultValue = parameter.Default.Length == 0 ? "*(empty)*" : $"`{parameter.Default}`";
                markdown.Append($"| `{parameter.Name}` | {defaultValue} | {Escape(parameter.Syntax)} | {Escape(parameter.Description)} |\n");
            }
        }
        return markdown.ToString();
    }

    // Backslash escapes keep table cells intact and stop '<' from being read as HTML.
    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("|", "\\|", StringComparison.Ordinal)
            .Replace("<", "\\<", StringComparison.Ordinal);
}
