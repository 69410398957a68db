using System.Text;

namespace Rookery.Imap.Tests.Mime;

public sealed class BinaryTests
{
    // Trailing whitespace on the quoted-printable lines is deliberate, so the message is built line by line.
    static readonly string Encoded = string.Join("\n",
        "From: a@b.c",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"bb\"",
        "",
        "--bb",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "Gr=C3=BC=C3=9Fe =",
        "aus K=C3=B6ln=20=3D   ",
        "tab\tend\t",
        "--bb",
        "Content-Type: application/octet-stream",
        "Content-Transfer-Encoding: base64",
        "",
        "AAECAwQF",
        "BgcICQ==",
        "--bb",
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: Base64 ; comment=yes",
        "",
        "aGVsbG8=",
        "--bb",
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: 7bit",
        "",
        "plain",
        "--bb--",
        "");

    [Fact]
    public void Quoted_printable_is_decoded_with_soft_breaks_joined_and_trailing_whitespace_dropped()
    {
        var message = Fetch.Parse(Encoded);

        Assert.True(message.TryGetBinary("1", out var decoded, out var unknown));
        Assert.False(unknown);
        Assert.Equal("Grüße aus Köln =\r\ntab\tend", Encoding.UTF8.GetString(decoded));
        Assert.True(message.TryGetBinarySize("1", out var size, out _));
        Assert.Equal(decoded.Length, size);
    }

    [Fact]
    public void Base64_is_decoded_across_lines_and_a_parameter_after_the_encoding_is_tolerated()
    {
        var message = Fetch.Parse(Encoded);

        Assert.True(message.TryGetBinary("2", out var bytes, out _));
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, bytes);
        Assert.True(message.TryGetBinary("3", out var hello, out _));
        Assert.Equal("hello", Encoding.ASCII.GetString(hello));
    }

    [Fact]
    public void Unencoded_parts_are_their_octets()
    {
        var message = Fetch.Parse(Encoded);

        Assert.True(message.TryGetBinary("4", out var plain, out _));
        Assert.Equal("plain", Encoding.ASCII.GetString(plain));
    }

    [Fact]
    public void The_whole_message_decodes_every_part_and_says_so_in_their_headers()
    {
        var message = Fetch.Parse(Encoded);

        Assert.True(message.TryGetBinary("", out var whole, out _));
        var text = Encoding.Latin1.GetString(whole);
        Assert.Contains("--bb\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: binary\r\n\r\nGr", text, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\0\u0001\u0002", text, StringComparison.Ordinal);
        Assert.Contains("Content-Transfer-Encoding: 7bit\r\n\r\nplain\r\n--bb--\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("base64", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_message_with_nothing_to_decode_is_returned_as_stored()
    {
        var message = Fetch.Parse(MimeSamples.ForwardedMessage);

        Assert.True(message.TryGetBinary("", out var whole, out _));
        Assert.Equal(Fetch.Crlf(MimeSamples.ForwardedMessage), whole);
    }

    [Fact]
    public void An_unknown_encoding_is_reported_so_fetch_can_answer_unknown_cte()
    {
        var message = Fetch.Parse("From: a@b.c\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n");

        Assert.False(message.TryGetBinary("1", out _, out var unknown));
        Assert.True(unknown);
        Assert.False(message.TryGetBinary("", out _, out unknown));
        Assert.True(unknown);
        Assert.False(message.TryGetBinarySize("1", out _, out unknown));
        Assert.True(unknown);
    }

    [Fact]
    public void A_missing_part_is_not_an_unknown_encoding()
    {
        var message = Fetch.Parse(Encoded);

        Assert.False(message.TryGetBinary("9", out _, out var unknown));
        Assert.False(unknown);
        Assert.False(message.TryGetBinary("1.MIME", out _, out unknown));
        Assert.False(unknown);
    }

    [Fact]
    public void Broken_base64_is_decoded_as_far_as_it_goes()
    {
        // Dovecot fails the FETCH here; a client is better served by what can be read.
        var message = Fetch.Parse("MIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\naGVs!!bG8\n");

        Assert.True(message.TryGetBinary("1", out var decoded, out _));
        Assert.Equal("hello", Encoding.ASCII.GetString(decoded));
    }
}
