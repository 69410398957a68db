using System.Buffers;

namespace Rookery.Smtp.Protocol;

public enum DataStatus
{
    NeedMoreData,
    /// <summary>The terminating "." line was read.</summary>
    Complete,
}

/// <summary>
/// Reads the message after DATA incrementally: removes dot-stuffing, stops at the lone "."
/// line, writes every line ending as CRLF (bare LF from sloppy senders included). Content
/// past <paramref name="maxSize"/> is read and dropped, so the session can answer 552 after
/// the terminator instead of losing sync with the client.
/// </summary>
public sealed class DataReader(long maxSize)
{
    const int PartialChunk = 16 * 1024;
    bool atLineStart = true;

    /// <summary>Octets of message content seen so far (after unstuffing, with CRLF line endings).</summary>
    public long Size { get; private set; }

    public bool TooLarge => Size > maxSize;

    public DataStatus Read(ref SequenceReader<byte> reader, IBufferWriter<byte> output)
    {
        while (true)
        {
            if (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n', advancePastDelimiter: true))
            {
                if (line.Length > 0 && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
                    line = line.Slice(0, line.Length - 1);
                if (atLineStart && line.Length == 1 && line.FirstSpan[0] == (byte)'.')
                    return DataStatus.Complete;
                if (atLineStart && line.Length > 0 && line.FirstSpan[0] == (byte)'.')
                    line = line.Slice(1);
                Write(line, output);
                Write("\r\n"u8, output);
                atLineStart = true;
                continue;
            }
            // A long line without its end yet: pass on what cannot be the terminator, keep a trailing CR.
            if (reader.Remaining < PartialChunk)
                return DataStatus.NeedMoreData;
            var chunk = reader.UnreadSequence;
            if (chunk.Slice(chunk.Length - 1).FirstSpan[0] == (byte)'\r')
                chunk = chunk.Slice(0, chunk.Length - 1);
            var consumed = chunk.Length;
            if (atLineStart && chunk.FirstSpan[0] == (byte)'.')
                chunk = chunk.Slice(1);
            Write(chunk, output);
            reader.Advance(consumed);
            atLineStart = false;
        }
    }

    void Write(ReadOnlySequence<byte> bytes, IBufferWriter<byte> output)
    {
        foreach (var segment in bytes)
            Write(segment.Span, output);
    }

    void Write(ReadOnlySpan<byte> bytes, IBufferWriter<byte> output)
    {
        var before = Size;
        Size += bytes.Length;
        if (Size > maxSize)
        {
            // keep what fits; the session refuses the message anyway
            var room = Math.Max(0, maxSize - before);
            bytes = bytes[..(int)Math.Min(room, bytes.Length)];
        }
        if (bytes.Length > 0)
            output.Write(bytes);
    }
}
