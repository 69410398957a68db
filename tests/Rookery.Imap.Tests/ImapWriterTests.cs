using System.Buffers;
using System.Text;
using Rookery.Imap.Protocol;

namespace Rookery.Imap.Tests;

public sealed class ImapWriterTests
{
    /// <summary>
    /// Many small pieces of text whose sum passes the size at which the writer hands its buffer on: every
    /// octet arrives once and in order. Text written just as the buffer was handed on used to be counted
    /// on top of the octets already gone, so the next write ran past the buffer's end.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(30)]
    [InlineData(1000)]
    public void Text_written_across_the_commit_threshold_arrives_whole(int pieceLength)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new ImapWriter(output);
        var expected = new StringBuilder();
        for (var i = 0; expected.Length < 200_000; i++)
        {
            var piece = new string((char)('a' + i % 26), pieceLength);
            writer.Raw(piece).Number(i).Raw(" "u8);
            expected.Append(piece).Append(i).Append(' ');
        }
        writer.Commit();
        Assert.Equal(expected.ToString(), Encoding.ASCII.GetString(output.WrittenSpan));
    }

    /// <summary>The FETCH lines of a big folder's FLAGS, as the session writes them: no line is lost or cut.</summary>
    [Fact]
    public void Thirty_thousand_flag_lines_arrive_whole()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new ImapWriter(output);
        for (var seq = 1; seq <= 30_000; seq++)
            writer.Raw("* ").Number(seq).Raw(" FETCH (").Raw("UID ").Number(seq + 7).Space().Raw("FLAGS ").Raw(seq % 3 == 0 ? @"(\Seen $Label1)" : "()").Raw(")").EndLine();
        writer.Commit();
        var lines = Encoding.ASCII.GetString(output.WrittenSpan).Split("\r\n");
        Assert.Equal(30_001, lines.Length);
        Assert.Equal("* 1 FETCH (UID 8 FLAGS ())", lines[0]);
        Assert.Equal(@"* 30000 FETCH (UID 30007 FLAGS (\Seen $Label1))", lines[29_999]);
        for (var i = 0; i < 30_000; i++)
            Assert.StartsWith($"* {i + 1} FETCH (UID {i + 8} FLAGS ", lines[i]);
    }
}
