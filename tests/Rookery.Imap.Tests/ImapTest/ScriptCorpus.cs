using System.Text;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>
/// The imaptest scripts kept as data in the shared workspace (conformance/imaptest/tests): found
/// beside the checkout as ../shared, or at /work/shared when CI clones elsewhere.
/// ROOKERY_IMAPTEST_SCRIPTS names another directory of scripts (a subset, or edited copies).
/// </summary>
sealed class ScriptCorpus(string directory)
{
    public string Directory { get; } = directory;

    public const string Variable = "ROOKERY_IMAPTEST_SCRIPTS";

    public static ScriptCorpus Locate()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } chosen)
            return new ScriptCorpus(Path.GetFullPath(chosen));
        var candidates = new[] { Path.Combine(RepositoryRoot(), "..", "shared"), "/work/shared" }
            .Select(d => Path.Combine(d, "conformance", "imaptest", "tests")).ToList();
        var found = candidates.FirstOrDefault(System.IO.Directory.Exists)
            ?? throw new DirectoryNotFoundException($"imaptest scripts missing: {string.Join(", ", candidates)}");
        return new ScriptCorpus(Path.GetFullPath(found));
    }

    static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Rookery.slnx")))
            directory = directory.Parent;
        return directory?.FullName ?? AppContext.BaseDirectory;
    }

    /// <summary>Every script: the files without an extension (tests/broken/ is upstream's own set-aside and stays out).</summary>
    public IReadOnlyList<string> ScriptNames() =>
        System.IO.Directory.GetFiles(Directory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => !n.EndsWith(".mbox", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Latin-1, so that the bytes of binary literals reach the server unchanged.</summary>
    public ImapTestScript Load(string name) =>
        ScriptReader.Read(name, File.ReadAllText(Path.Combine(Directory, name), Encoding.Latin1),
            variable => Environment.GetEnvironmentVariable(variable) is not null);

    /// <summary>The messages of &lt;name&gt;.mbox, or of default.mbox when the test has none.</summary>
    public IReadOnlyList<MboxMessage> Messages(string name)
    {
        var own = Path.Combine(Directory, name + ".mbox");
        var path = File.Exists(own) ? own : Path.Combine(Directory, "default.mbox");
        return Mbox.Parse(File.ReadAllText(path, Encoding.Latin1));
    }
}
