using System.Text;

namespace Rookery.Store.Tests;

public sealed class MessageFieldsTests
{
    static Task<MessageFields.Extraction> Extract(string message) =>
        MessageFields.ExtractAsync(new MemoryStream(Encoding.UTF8.GetBytes(message)));

    [Fact]
    public async Task Encoded_words_addresses_message_id_and_date_are_extracted()
    {
        var result = await Extract(
            "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>\r\n" +
            "To: alice@example.com, \"Bob B.\" <bob@example.com>\r\n" +
            "Cc: carol@example.com\r\n" +
            "Subject: =?iso-8859-1?q?Gr=FC=DFe?= aus Berlin\r\n" +
            "Message-ID:  <abc.123@mail.example.de>\r\n" +
            "Date: Tue, 3 Mar 2026 14:05:00 +0100\r\n" +
            "\r\nbody\r\n");

        Assert.True(result.Parsed);
        Assert.Equal("Grüße aus Berlin", result.Fields.Subject);
        Assert.Contains("Jürgen Müller", result.Fields.From);
        Assert.Contains("jm@example.de", result.Fields.From);
        Assert.Contains("bob@example.com", result.Fields.To);
        Assert.Equal("carol@example.com", result.Fields.Cc);
        Assert.Equal("<abc.123@mail.example.de>", result.Fields.MessageId);
        Assert.Equal(new DateTimeOffset(2026, 3, 3, 14, 5, 0, TimeSpan.FromHours(1)), result.Fields.SentAt);
    }

    [Fact]
    public async Task A_message_without_headers_gives_empty_fields_not_an_error()
    {
        var result = await Extract("just a body without any header\r\n");
        Assert.Equal("", result.Fields.Subject);
        Assert.Null(result.Fields.SentAt);
    }

    [Fact]
    public async Task Every_message_of_the_conformance_corpus_yields_fields()
    {
        // ../shared beside the checkout, or the workspace's copy when CI clones elsewhere
        var candidates = new[] { Path.Combine(RepositoryRoot(), "..", "shared"), "/work/shared" }
            .Select(d => Path.Combine(d, "conformance", "mbox", "dovecot-crlf-100")).ToList();
        var mbox = candidates.FirstOrDefault(File.Exists);
        Assert.True(mbox is not null, $"corpus missing: {string.Join(", ", candidates)}");
        var text = await File.ReadAllTextAsync(mbox);
        var messages = ("\n" + text).Split("\nFrom ", StringSplitOptions.RemoveEmptyEntries)
            .Select(m => m[(m.IndexOf('\n', StringComparison.Ordinal) + 1)..])
            .ToList();
        Assert.True(messages.Count >= 90);
        var withSubject = 0;
        foreach (var message in messages)
        {
            var result = await Extract(message);
            if (result.Fields.Subject.Length > 0 && result.Fields.MessageId.Length > 0 && result.Fields.From.Length > 0)
                withSubject++;
        }
        Assert.True(withSubject >= messages.Count * 9 / 10, $"only {withSubject} of {messages.Count} messages gave subject, from and message-id");
    }

    static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Rookery.slnx")))
            directory = directory.Parent;
        return directory!.FullName;
    }
}
