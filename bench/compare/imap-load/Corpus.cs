using MimeKit;

namespace ImapLoad;

/// <summary>The messages of an mbox file (the "From " separator lines dropped), parsed once.</summary>
static class Corpus
{
    public static IReadOnlyList<MimeMessage> Load(string path)
    {
        using var stream = File.OpenRead(path);
        var parser = new MimeParser(stream, MimeFormat.Mbox);
        var messages = new List<MimeMessage>();
        while (!parser.IsEndOfStream)
            messages.Add(parser.ParseMessage());
        if (messages.Count == 0)
            throw new InvalidDataException($"no messages in {path}");
        return messages;
    }
}
