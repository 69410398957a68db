using MimeKit;

namespace ImapLoad;

/// <summary>
/// The messages of an mbox file (the "From " separator lines dropped), kept as bytes: a parsed MimeMessage
/// reads its parts from shared streams, so it must not be written by two clients at once — each APPEND parses its own.
/// </summary>
sealed class Corpus
{
    readonly List<byte[]> messages = [];

    Corpus(string path)
    {
        using var stream = File.OpenRead(path);
        var parser = new MimeParser(stream, MimeFormat.Mbox);
        while (!parser.IsEndOfStream)
        {
            using var buffer = new MemoryStream();
            parser.ParseMessage().WriteTo(buffer);
            messages.Add(buffer.ToArray());
        }
        if (messages.Count == 0)
            throw new InvalidDataException($"no messages in {path}");
    }

    public static Corpus Load(string path) => new(path);

    public int Count => messages.Count;

    /// <summary>A fresh copy of message <paramref name="index"/> for one APPEND.</summary>
    public MimeMessage this[int index] => MimeMessage.Load(new MemoryStream(messages[index], writable: false));
}
