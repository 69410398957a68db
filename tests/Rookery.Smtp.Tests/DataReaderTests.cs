using System.Buffers;
using System.Text;
using Rookery.Smtp.Protocol;

namespace Rookery.Smtp.Tests;

public sealed class DataReaderTests
{
    static (DataStatus Status, string Content, DataReader Reader, string Remaining) Read(string input, long maxSize = 1 << 20, int pieceSize = int.MaxValue)
    {
        var data = new DataReader(maxSize);
        var output = new ArrayBufferWriter<byte>();
        var bytes = Encoding.Latin1.GetBytes(input);
        var pending = Array.Empty<byte>();
        var fed = 0;
        while (fed < bytes.Length)
        {
            var piece = Math.Min(pieceSize, bytes.Length - fed);
            pending = [.. pending, .. bytes.AsSpan(fed, piece)];
            fed += piece;
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(pending));
            var status = data.Read(ref reader, output);
            pending = reader.UnreadSequence.ToArray();
            if (status == DataStatus.Complete)
                return (status, Encoding.Latin1.GetString(output.WrittenSpan), data, Encoding.Latin1.GetString([.. pending, .. bytes.AsSpan(fed)]));
        }
        return (DataStatus.NeedMoreData, Encoding.Latin1.GetString(output.WrittenSpan), data, Encoding.Latin1.GetString(pending));
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    [InlineData(7)]
    public void Dot_stuffing_is_removed_and_the_lone_dot_ends_the_message(int pieceSize)
    {
        var (status, content, _, rest) = Read("Subject: x\r\n\r\n..leading dot\r\n\r\n...\r\n.\r\nQUIT\r\n", pieceSize: pieceSize);
        Assert.Equal(DataStatus.Complete, status);
        Assert.Equal("Subject: x\r\n\r\n.leading dot\r\n\r\n..\r\n", content);
        Assert.Equal("QUIT\r\n", rest);
    }

    [Fact]
    public void Bare_line_feeds_become_crlf()
    {
        var (_, content, _, _) = Read("a\nb\r\nc\n.\n");
        Assert.Equal("a\r\nb\r\nc\r\n", content);
    }

    [Fact]
    public void Eight_bit_and_binary_octets_pass_unchanged()
    {
        var body = "caf\u00e9 \u0000\u00ff\u0001\r";
        var (_, content, _, _) = Read(body + "x\r\n.\r\n");
        Assert.Equal(body + "x\r\n", content);
    }

    [Fact]
    public void A_message_over_the_limit_is_read_to_its_end_and_flagged()
    {
        var (status, _, reader, rest) = Read(new string('a', 5000) + "\r\n.\r\nRSET\r\n", maxSize: 1000);
        Assert.Equal(DataStatus.Complete, status);
        Assert.True(reader.TooLarge);
        Assert.Equal("RSET\r\n", rest);
    }

    [Fact]
    public void Very_long_lines_stream_without_waiting_for_their_end()
    {
        var line = "." + new string('z', 100_000);
        var (status, content, reader, _) = Read(line + "\r\n.\r\n", pieceSize: 4096);
        Assert.Equal(DataStatus.Complete, status);
        Assert.Equal(line[1..] + "\r\n", content);
        Assert.Equal(100_002, reader.Size);
    }

    [Fact]
    public void Without_the_terminator_the_reader_waits()
    {
        var (status, content, _, _) = Read("line\r\n.");
        Assert.Equal(DataStatus.NeedMoreData, status);
        Assert.Equal("line\r\n", content);
    }
}
