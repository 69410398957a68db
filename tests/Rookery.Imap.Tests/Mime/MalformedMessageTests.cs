using System.Text;
using Rookery.Imap.Mime;

namespace Rookery.Imap.Tests.Mime;

public sealed class MalformedMessageTests
{
    public static TheoryData<string> BrokenMessages => new()
    {
        // A boundary that never occurs: the multipart has no parts; its body is all preamble.
        "Content-Type: multipart/mixed; boundary=\"right\"\n\n--wrong\nContent-Type: text/plain\n\ntext\n--wrong--\n",
        // Truncated in the middle of a part, without the close delimiter.
        "Content-Type: multipart/mixed; boundary=t\n\n--t\nContent-Type: text/plain\n\nfirst\n--t\nContent-Transfer-Encoding: base64\n\nAAAA",
        // A part header that runs into the next boundary; a message/rfc822 part that does.
        "Content-Type: multipart/mixed; boundary=c\n\n--c\nContent-Type: text/plain\n--c\nContent-Type: message/rfc822\n--c--\n",
        // Headers only, a body only, nothing at all, a lone line break.
        "From: a@b.c\nSubject: only headers",
        "just a body without any header\nsecond line\n",
        "",
        "\n",
        // A multipart without boundary parameter, one whose type has no subtype, an unterminated parameter.
        "Content-Type: multipart/mixed\n\n--x\n\nx\n",
        "Content-Type: multipart\n\nx\n",
        "Content-Type: multipart/mixed; boundary=\"unterminated\n\n--unterminated\n\nx\n",
        // Boundaries that are prefixes of each other, delimiters with trailing text, an epilogue delimiter.
        "Content-Type: multipart/mixed; boundary=ab\n\n--ab\nContent-Type: multipart/mixed; boundary=abc\n\n--abc\n\ninner\n--ab\n\nouter\n--abc--\n--ab--\n",
        "Content-Type: multipart/mixed; boundary=foo\n\n--foo   trailing\n\na\n--foo--bar\n--foo--\nepilogue\n--foo\nafter close\n",
        // Unterminated quotes and comments in addresses and parameters, NUL octets, bare CR and LF.
        "From: \"unterminated <a@b>\nTo: a@b (comment\nCc: <@route\nContent-Type: text/plain; charset=\"x\n\nbody\n",
        "Subject: nul\0here\nFrom: a\0@b\n\nbody\0\n",
        "Subject: bare\rcr\nContent-Type: multipart/mixed; boundary=l\n\n--l\r\rx\n--l--",
    };

    [Theory]
    [MemberData(nameof(BrokenMessages))]
    public void Broken_messages_get_a_structure_whose_sections_add_up(string message)
    {
        StructureInvariants.Check(Encoding.UTF8.GetBytes(message.Replace("\n", "\r\n", StringComparison.Ordinal)));
        StructureInvariants.Check(Encoding.UTF8.GetBytes(message)); // and with bare LF line ends as they are
    }

    [Fact]
    public void A_bad_boundary_leaves_the_multipart_without_parts()
    {
        var message = Fetch.Parse("Content-Type: multipart/mixed; boundary=\"right\"\n\n--wrong\n\ntext\n--wrong--\n");

        Assert.Equal("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"right\") NIL NIL NIL)",
            Fetch.BodyStructure(message));
        Assert.Null(Fetch.Section(message, "1"));
    }

    [Fact]
    public void A_truncated_part_ends_where_the_message_ends()
    {
        var message = Fetch.Parse("Content-Type: multipart/mixed; boundary=t\n\n--t\n\nfirst\n--t\nContent-Transfer-Encoding: base64\n\nAAAA");

        Assert.Equal("first", Fetch.Section(message, "1"));
        Assert.Equal("AAAA", Fetch.Section(message, "2"));
        Assert.True(message.TryGetBinary("2", out var decoded, out _));
        Assert.Equal(new byte[3], decoded);
    }

    [Fact]
    public void Deep_nesting_stops_at_a_limit_and_leaves_the_rest_opaque()
    {
        var builder = new StringBuilder();
        for (var i = 0; i < 150; i++)
            builder.Append($"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n");
        builder.Append("\r\ndeepest\r\n");
        var raw = Encoding.ASCII.GetBytes(builder.ToString());

        StructureInvariants.Check(raw);
        var structure = Fetch.BodyStructure(MessageStructure.Parse(raw));
        Assert.Contains("\"application\" \"octet-stream\"", structure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_with_very_many_parts_is_parsed_quickly_and_boundaries_stop_counting_at_a_limit()
    {
        var builder = new StringBuilder("Content-Type: multipart/mixed; boundary=p\r\n\r\n");
        for (var i = 0; i < 12000; i++)
            builder.Append("--p\r\n\r\nx\r\n");
        builder.Append("--p--\r\n");
        var raw = Encoding.ASCII.GetBytes(builder.ToString());

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var message = MessageStructure.Parse(raw);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.True(message.TryGetSection("9999", out _));
        Assert.False(message.TryGetSection("10001", out _));
        Assert.Equal(Encoding.ASCII.GetString(raw), Fetch.Section(message, "HEADER") + Fetch.Section(message, "TEXT"));
    }

    [Fact]
    public void Random_damage_to_real_messages_never_breaks_the_invariants()
    {
        // Deterministic damage: cut, delete or repeat lines, insert delimiters, headers and special octets.
        var random = new Random(20260302);
        string[] samples = [MimeSamples.MixedWithAttachment, MimeSamples.ForwardedMessage];
        string[] insertions =
        [
            "--XyZ", "--b1", "--b2--", "--b1--x", "Content-Type: message/rfc822", "Content-Type: multipart/digest; boundary=b2",
            "Content-Transfer-Encoding: quoted-printable", "From: \"a\\\" b\" <x@y>, (c) d@e, f:g@h;, <@r:i@j>", "To: g: ;", "",
            "Content-Type: text/plain; a*=b; a*0=c; a*1*=%", "Reply-To: \"unterminated", "Cc: a@b (c (d) e)",
        ];
        string[] octets = ["\"", "(", ")", "<", ">", ",", ";", ":", "@", "\\", " ", "=", "\t", "-", "*", "'", "%", "\0", "\u00e9"];
        for (var round = 0; round < 400; round++)
        {
            var lines = samples[random.Next(samples.Length)].ReplaceLineEndings("\n").Split('\n').ToList();
            for (var damage = random.Next(1, 4); damage > 0; damage--)
            {
                var at = random.Next(lines.Count);
                switch (random.Next(5))
                {
                    case 0: lines.RemoveRange(at, lines.Count - at); break;
                    case 1: lines.RemoveAt(at); break;
                    case 2: lines.Insert(at, lines[at]); break;
                    case 3: lines.Insert(at, insertions[random.Next(insertions.Length)]); break;
                    default:
                        var line = lines[at];
                        var column = random.Next(line.Length + 1);
                        lines[at] = line[..column] + octets[random.Next(octets.Length)] + line[Math.Min(column + 1, line.Length)..];
                        break;
                }
                if (lines.Count == 0)
                    lines.Add("");
            }
            StructureInvariants.Check(Encoding.UTF8.GetBytes(string.Join("\r\n", lines)));
        }
    }
}
