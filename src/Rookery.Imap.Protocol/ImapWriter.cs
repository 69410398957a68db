using System.Buffers;
using System.Globalization;
using System.Text;

namespace Rookery.Imap.Protocol;

/// <summary>
/// Writes responses: raw text, numbers, strings quoted or as literals as their content needs,
/// mailbox names in modified UTF-7 (or UTF-8 once the client enabled UTF8=ACCEPT).
/// </summary>
/// <remarks>
/// What is written gathers in a pooled buffer and reaches <paramref name="output"/> at
/// <see cref="Commit"/> (and whenever <see cref="CommitThreshold"/> octets are waiting): a pipe
/// takes its lock on every GetSpan and Advance, which once per token was the largest cost of
/// writing a FETCH. Commit before flushing the output. Between responses the writer holds no buffer.
/// </remarks>
public sealed class ImapWriter(IBufferWriter<byte> output)
{
    const int CommitThreshold = 16 * 1024;
    const int MinimumBuffer = 4096;

    byte[]? buffer;
    int length;

    /// <summary>Set when the client enabled UTF8=ACCEPT (RFC 6855): strings and mailbox names go out as UTF-8.</summary>
    public bool Utf8 { get; set; }

    /// <summary>Hands everything written so far to the output.</summary>
    public void Commit()
    {
        if (buffer is null)
            return;
        if (length > 0)
            output.Write(buffer.AsSpan(0, length));
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = null;
        length = 0;
    }

    /// <summary>Room for <paramref name="count"/> more octets in the buffer.</summary>
    Span<byte> Room(int count)
    {
        if (buffer is not null && length + count > buffer.Length)
        {
            if (length + count > CommitThreshold)
            {
                Commit();
            }
            else
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, length + count));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
        }
        buffer ??= ArrayPool<byte>.Shared.Rent(Math.Max(MinimumBuffer, count));
        return buffer.AsSpan(length);
    }

    public ImapWriter Raw(string ascii)
    {
        var most = ascii.Length <= CommitThreshold / 3 ? Encoding.UTF8.GetMaxByteCount(ascii.Length) : Encoding.UTF8.GetByteCount(ascii);
        if (most >= CommitThreshold)
        {
            Commit();
            Encoding.UTF8.GetBytes(ascii, output);
            return this;
        }
        // Room may hand the buffer on and start it again: the length it leaves is the one to add to
        var room = Room(most);
        length += Encoding.UTF8.GetBytes(ascii, room);
        return this;
    }

    public ImapWriter Raw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= CommitThreshold)
        {
            Commit();
            output.Write(bytes);
            return this;
        }
        bytes.CopyTo(Room(bytes.Length));
        length += bytes.Length;
        return this;
    }

    public ImapWriter Space() => Raw(" "u8);

    public ImapWriter Number(long value)
    {
        value.TryFormat(Room(20), out var written, default, CultureInfo.InvariantCulture);
        length += written;
        return this;
    }

    public ImapWriter EndLine() => Raw("\r\n"u8);

    /// <summary>A string: quoted when it can be, else a literal; null is NIL.</summary>
    public ImapWriter String(string? text)
    {
        if (text is null)
            return Raw("NIL"u8);
        if (text.Length <= 1024 && ImapSyntax.IsQuotable(text, Utf8))
            return Quoted(text);
        return Literal(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>An astring: an atom when it is one, else a string.</summary>
    public ImapWriter AString(string text) => ImapSyntax.IsAtom(text) && !text.Equals("NIL", StringComparison.OrdinalIgnoreCase) ? Raw(text) : String(text);

    public ImapWriter Quoted(string text)
    {
        var builder = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            if (c is '"' or '\\')
                builder.Append('\\');
            builder.Append(c);
        }
        return Raw(builder.Append('"').ToString());
    }

    public ImapWriter Literal(ReadOnlySpan<byte> content, bool binary = false)
    {
        LiteralHeader(content.Length, binary);
        return Raw(content);
    }

    /// <summary>"{n}" and CRLF ("~{n}" for binary content, RFC 3516); the caller writes the n octets.</summary>
    public ImapWriter LiteralHeader(long length, bool binary = false) =>
        Raw(binary ? "~{" : "{").Number(length).Raw("}\r\n"u8);

    /// <summary>A mailbox name as the client expects it: modified UTF-7, or UTF-8 after ENABLE UTF8=ACCEPT.</summary>
    public ImapWriter Mailbox(string name) => AString(Utf8 ? name : ModifiedUtf7.Encode(name));

    public ImapWriter Untagged(string text) => Raw("* ").Raw(text).EndLine();

    public ImapWriter Tagged(string tag, string status, string? code, string text)
    {
        Raw(tag).Space().Raw(status).Space();
        if (code is not null)
            Raw("[").Raw(code).Raw("] ");
        return Raw(text).EndLine();
    }

    public ImapWriter Continuation(string text) => Raw("+ ").Raw(text).EndLine();
}
