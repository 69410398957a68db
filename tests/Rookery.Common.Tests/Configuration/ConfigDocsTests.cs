using Rookery.Common.Configuration;

namespace Rookery.Common.Tests.Configuration;

public sealed class ConfigDocsTests
{
    [Fact]
    public void Docs_file_matches_the_schemas()
    {
        var docsFile = Path.Combine(FindRepositoryRoot(), "docs", "configuration.md");
        var expected = ConfigDocs.RenderMarkdown();

        // Regenerating through the test keeps one way of producing the file.
        if (Environment.GetEnvironmentVariable("ROOKERY_UPDATE_DOCS") == "1")
            File.WriteAllText(docsFile, expected);

        Assert.True(File.Exists(docsFile), $"{docsFile} is missing; run ROOKERY_UPDATE_DOCS=1 dotnet test tests/Rookery.Common.Tests");
        var actual = File.ReadAllText(docsFile).ReplaceLineEndings("\n");
        Assert.True(actual == expected,
            $"{docsFile} is out of date with the schemas; run ROOKERY_UPDATE_DOCS=1 dotnet test tests/Rookery.Common.Tests");
    }

    [Fact]
    public void Docs_have_a_table_row_for_every_parameter()
    {
        var markdown = ConfigDocs.RenderMarkdown();

        Assert.Contains("## server (server.cfg)", markdown, StringComparison.Ordinal);
        Assert.Contains("## unix (unix.cfg)", markdown, StringComparison.Ordinal);
        Assert.All(ConfigSchema.All.SelectMany(schema => schema.Parameters),
            parameter => Assert.Contains($"\n| `{parameter.Name}` |", markdown, StringComparison.Ordinal));
        Assert.Contains("| `server_listen` | `127.0.0.1:236` |", markdown, StringComparison.Ordinal);
        Assert.Contains("| `mysql_password` | *(empty)* |", markdown, StringComparison.Ordinal);
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Rookery.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException($"No Rookery.slnx above {AppContext.BaseDirectory}.");
    }
}
