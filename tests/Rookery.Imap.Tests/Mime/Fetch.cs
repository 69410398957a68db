using System.Buffers;
using System.Text;
using Rookery.Imap.Mime;
using Rookery.Imap.Protocol;

namespace Rookery.Imap.Tests.Mime;

/// <summary>What a FETCH would send for a message, as text the tests can compare.</summary>
internal static class Fetch
{
    /// <summary>A message written with "\n" line ends, stored (as the store keeps mail) with CRLF.</summary>
    public static MessageStructure Parse(string message) => MessageStructure.Parse(Crlf(message));

    public static byte[] Crlf(string text) => Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"));

    // Each of these also answers from the description the store keeps (MessageStructure.Describe) and checks that
    // the two agree, so every structure test here pins the cached FETCH path too.

    public static string Envelope(MessageStructure message, bool utf8 = false, bool? decodeAsUtf8 = null) =>
        Same(message, m => Render(m.WriteEnvelope, utf8, decodeAsUtf8 ?? utf8));

    public static string BodyStructure(MessageStructure message) => Same(message, m => Render(w => m.WriteBodyStructure(w, extensible: true)));

    public static string Body(MessageStructure message) => Same(message, m => Render(w => m.WriteBodyStructure(w, extensible: false)));

    /// <summary>The structure as FETCH reads it from the stored description, for the same kind of session.</summary>
    public static MessageStructure Described(MessageStructure message) =>
        DescribedFrom(message.Message.ToArray(), message.MessageGlobal);

    /// <summary>The structure FETCH reads from the description of <paramref name="content"/>.</summary>
    public static MessageStructure DescribedFrom(byte[] content, bool messageGlobal = false) =>
        MessageStructure.FromDescription(MessageStructure.Describe(content)!, messageGlobal)!;

    static string Same(MessageStructure message, Func<MessageStructure, string> render)
    {
        var parsed = render(message);
        if (message.HasContent)
            Xunit.Assert.Equal(parsed, render(Described(message)));
        return parsed;
    }

    /// <summary>BODY[section] as text (Latin-1, so any octet shows), or null when the section names nothing.</summary>
    public static string? Section(MessageStructure message, string section) =>
        message.TryGetSection(section, out var content) ? Encoding.Latin1.GetString(content.Span) : null;

    /// <summary>What the writer produced, read as UTF-8 or else octet for octet (Latin-1).</summary>
    public static string Render(Action<ImapWriter> write, bool utf8 = false, bool decodeAsUtf8 = false)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new ImapWriter(output) { Utf8 = utf8 };
        write(writer);
        writer.Commit();
        return decodeAsUtf8 ? Encoding.UTF8.GetString(output.WrittenSpan) : Encoding.Latin1.GetString(output.WrittenSpan);
    }
}
