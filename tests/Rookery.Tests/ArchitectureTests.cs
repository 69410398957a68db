using System.Xml.Linq;

namespace Rookery.Tests;

/// <summary>The project boundaries of DESIGN.md §2 are the architecture; these tests keep them.</summary>
public sealed class ArchitectureTests
{
    static readonly string[] SqlPackages = ["linq2db", "MySqlConnector", "Npgsql", "Microsoft.Data.Sqlite", "Microsoft.Data.Sqlite.Core", "SQLitePCLRaw.bundle_e_sqlite3"];

    /// <summary>Which Rookery projects each project may reference; anything not listed may reference nothing of ours.</summary>
    static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Rookery.Common"] = [],
        ["Rookery.Blobs"] = ["Rookery.Common"],
        ["Rookery.Store"] = ["Rookery.Common", "Rookery.Blobs", "Rookery.Directory"], // stores belong to accounts
        ["Rookery.Directory"] = ["Rookery.Common"],
        ["Rookery.Store.Sql"] = ["Rookery.Common", "Rookery.Blobs", "Rookery.Store", "Rookery.Directory"],
        ["Rookery"] = ["*"],
    };

    public static TheoryData<string> SourceProjects()
    {
        var data = new TheoryData<string>();
        foreach (var project in System.IO.Directory.GetFiles(Path.Combine(RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories).Order())
            data.Add(Path.GetFileNameWithoutExtension(project));
        return data;
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void Projects_reference_only_what_the_design_allows(string project)
    {
        var references = ProjectReferences(project);
        string[] allowed;
        if (project.EndsWith(".Protocol", StringComparison.Ordinal))
            allowed = ["Rookery.Common"]; // bytes in, commands out: no IO, no domain
        else if (Allowed.TryGetValue(project, out var listed))
            allowed = listed;
        else
            allowed = new[] { "Rookery.Common", "Rookery.Blobs", "Rookery.Store", "Rookery.Directory" } // protocol sessions reach storage through the store only
                .Concat(references.Where(r => r.EndsWith(".Protocol", StringComparison.Ordinal))).ToArray();

        if (allowed is ["*"])
            return;
        var forbidden = references.Except(allowed).ToList();
        Assert.True(forbidden.Count == 0, $"{project} must not reference {string.Join(", ", forbidden)} (DESIGN.md §2)");
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void Only_the_sql_project_knows_sql(string project)
    {
        if (project is "Rookery.Store.Sql")
            return;
        var packages = Xml(project).Descendants("PackageReference").Select(p => (string?)p.Attribute("Include") ?? "").ToList();
        var sql = packages.Intersect(SqlPackages, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.True(sql.Count == 0, $"{project} must not reference {string.Join(", ", sql)}: nothing but Rookery.Store.Sql knows SQL");
    }

    [Fact]
    public void Nothing_references_the_executable()
    {
        foreach (var project in System.IO.Directory.GetFiles(Path.Combine(RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories))
            Assert.DoesNotContain("Rookery", ProjectReferences(Path.GetFileNameWithoutExtension(project)));
    }

    [Fact]
    public void A_forbidden_reference_is_detected()
    {
        // The rule itself must bite: Store may not reach Store.Sql.
        Assert.DoesNotContain("Rookery.Store.Sql", Allowed["Rookery.Store"]);
        Assert.DoesNotContain("Rookery.Store", Allowed["Rookery.Directory"]);
        Assert.DoesNotContain("Rookery.Store.Sql", Allowed["Rookery.Directory"]);
    }

    static List<string> ProjectReferences(string project) =>
        Xml(project).Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(((string?)r.Attribute("Include") ?? "").Replace('\\', '/')))
            .ToList();

    static XDocument Xml(string project) =>
        XDocument.Load(System.IO.Directory.GetFiles(Path.Combine(RepositoryRoot, "src"), project + ".csproj", SearchOption.AllDirectories).Single());

    static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Rookery.slnx")))
                directory = directory.Parent;
            return directory?.FullName ?? throw new InvalidOperationException("Rookery.slnx not found above " + AppContext.BaseDirectory);
        }
    }
}
