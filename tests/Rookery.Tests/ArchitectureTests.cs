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
        ["Rookery.Hosting"] = ["Rookery.Common", "Rookery.Directory"], // no protocol, no store: components bring those
        ["Rookery.Mime"] = [], // octets in, part trees out: shared by every protocol, knowing none
        ["Rookery"] = ["*"],
    };

    /// <summary>The wire protocol a session project speaks, when its name does not say it (LMTP is SMTP's dialect).</summary>
    static readonly Dictionary<string, string> SpokenProtocol = new()
    {
        ["Rookery.Dagent"] = "Rookery.Smtp.Protocol",
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
        {
            // protocol sessions reach storage through the store only, and speak their own protocol: none references another's
            allowed = ["Rookery.Common", "Rookery.Blobs", "Rookery.Store", "Rookery.Directory", "Rookery.Mime", SpokenProtocol.GetValueOrDefault(project, project + ".Protocol")];
        }

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

    /// <summary>
    /// Content addressing and compression are the blob policy's (Rookery.Blobs' ContentAddressedStore), above every
    /// backend: neither the SQL project nor a backend hashes or compresses content.
    /// </summary>
    [Fact]
    public void Blob_content_is_hashed_and_compressed_only_by_the_policy_above_the_backends()
    {
        string[] policy = ["SHA256", "IncrementalHash", "GZipStream", "ZLibStream", "BrotliStream"];
        var sources = System.IO.Directory.GetFiles(Path.Combine(RepositoryRoot, "src", "Rookery.Store.Sql"), "*.cs")
            .Append(Path.Combine(RepositoryRoot, "src", "Rookery.Blobs", "FileBlobStore.cs"));
        foreach (var source in sources)
        {
            var text = File.ReadAllText(source);
            var found = policy.Where(p => text.Contains(p, StringComparison.Ordinal)).ToList();
            Assert.True(found.Count == 0, $"{Path.GetFileName(source)} uses {string.Join(", ", found)}: hashing and compressing blob content is ContentAddressedStore's");
        }
    }

    [Fact]
    public void Nothing_references_the_executable()
    {
        foreach (var project in System.IO.Directory.GetFiles(Path.Combine(RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories))
            Assert.DoesNotContain("Rookery", ProjectReferences(Path.GetFileNameWithoutExtension(project)));
    }

    [Fact]
    public void Mime_references_no_protocol_and_no_store()
    {
        Assert.Empty(ProjectReferences("Rookery.Mime"));
        Assert.DoesNotContain(Xml("Rookery.Mime").Descendants("PackageReference"), p => ((string?)p.Attribute("Include") ?? "").StartsWith("MailKit", StringComparison.Ordinal));
    }

    [Fact]
    public void Delivery_does_not_reference_imap()
    {
        Assert.DoesNotContain(ProjectReferences("Rookery.Dagent"), r => r.StartsWith("Rookery.Imap", StringComparison.Ordinal));
    }

    /// <summary>
    /// The executable is wiring: configuration, components, commands. What runs connections, listens, or works in
    /// the background lives in a library (Rookery.Hosting or a protocol project), where a test can reach it.
    /// </summary>
    [Fact]
    public void The_executable_holds_only_wiring()
    {
        var machinery = new[]
        {
            typeof(Microsoft.AspNetCore.Connections.ConnectionHandler),
            typeof(Microsoft.Extensions.Hosting.BackgroundService),
            typeof(Microsoft.AspNetCore.Connections.IConnectionListenerFactory),
            typeof(Microsoft.AspNetCore.Connections.IConnectionListener),
            typeof(System.IO.Stream),
        };
        var offenders = typeof(Commands.ServeCommand).Assembly.GetTypes()
            .Where(t => machinery.Any(m => m != t && m.IsAssignableFrom(t)))
            .Select(t => t.FullName)
            .ToList();
        Assert.True(offenders.Count == 0, $"the executable holds {string.Join(", ", offenders)}: move it to a library (DESIGN.md §2)");
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
