using System.Text;
using Rookery.Imap.Mime;

namespace Rookery.Imap.Tests.Mime;

public sealed class ConformanceCorpusTests
{
    [Fact]
    public void Every_message_of_the_dovecot_corpus_parses_and_its_sections_and_sizes_agree()
    {
        var messages = CorpusMessages();
        Assert.True(messages.Count >= 90, $"only {messages.Count} messages in the corpus");
        foreach (var message in messages)
            StructureInvariants.Check(message);
    }

    [Fact]
    public void The_corpus_multipart_message_has_its_parts()
    {
        var multipart = CorpusMessages().Select(m => MessageStructure.Parse(m))
            .Single(m => Fetch.BodyStructure(m).StartsWith("((", StringComparison.Ordinal));

        // Checked against Dovecot 2.3.19, like every message of the corpus.
        Assert.StartsWith("((\"text\" \"html\" (\"charset\" \"iso-8859-1\") NIL NIL \"quoted-printable\" 2278 71 NIL NIL NIL NIL) \"related\"",
            Fetch.BodyStructure(multipart), StringComparison.Ordinal);
    }

    /// <summary>The messages of the mbox, without their "From " separator lines and the blank line after each.</summary>
    internal static List<byte[]> CorpusMessages()
    {
        // ../shared beside the checkout, or the workspace's copy when CI clones elsewhere
        var candidates = new[] { Path.Combine(RepositoryRoot(), "..", "shared"), "/work/shared" }
            .Select(d => Path.Combine(d, "conformance", "mbox", "dovecot-crlf-100")).ToList();
        var mbox = candidates.FirstOrDefault(File.Exists);
        Assert.True(mbox is not null, $"corpus missing: {string.Join(", ", candidates)}");
        var text = Encoding.Latin1.GetString(File.ReadAllBytes(mbox));
        return ("\r\n" + text).Split("\r\nFrom ", StringSplitOptions.RemoveEmptyEntries)
            .Select(m => m[(m.IndexOf("\r\n", StringComparison.Ordinal) + 2)..])
            .Select(m => m.EndsWith("\r\n\r\n", StringComparison.Ordinal) ? m[..^2] : m)
            .Select(Encoding.Latin1.GetBytes)
            .ToList();
    }

    static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Rookery.slnx")))
            directory = directory.Parent;
        return directory!.FullName;
    }
}
