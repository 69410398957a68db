namespace Rookery.Imap.Tests.Mime;

// Expected values are what Dovecot 2.3.19 sends for the same messages (sizes are octets with CRLF line ends).
public sealed class BodyStructureTests
{
    [Fact]
    public void A_text_part_gives_its_parameters_size_and_line_count()
    {
        var message = Fetch.Parse("""
            From: a@b.c
            MIME-Version: 1.0
            Content-Type: text/plain; charset=utf-8; format=flowed

            Hello Bob,
            second line
            """ + "\n");

        Assert.Equal("(\"text\" \"plain\" (\"charset\" \"utf-8\" \"format\" \"flowed\") NIL NIL \"7bit\" 25 2 NIL NIL NIL NIL)",
            Fetch.BodyStructure(message));
        Assert.Equal("(\"text\" \"plain\" (\"charset\" \"utf-8\" \"format\" \"flowed\") NIL NIL \"7bit\" 25 2)", Fetch.Body(message));
    }

    [Fact]
    public void A_message_without_content_type_is_text_plain_in_us_ascii()
    {
        var message = Fetch.Parse("From: a@b.c\nSubject: no type\n\nbody without type\n");

        Assert.Equal("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 19 1 NIL NIL NIL NIL)", Fetch.BodyStructure(message));
    }

    [Fact]
    public void Content_fields_without_mime_version_or_content_type_do_not_count()
    {
        var message = Fetch.Parse("From: a@b.c\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment\n\naGVsbG8=\n");

        Assert.Equal("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)", Fetch.BodyStructure(message));
    }

    [Fact]
    public void Multipart_alternative_lists_its_parts_then_subtype_and_parameters()
    {
        var message = Fetch.Parse("""
            From: a@b.c
            MIME-Version: 1.0
            Content-Type: multipart/alternative; boundary="alt"

            --alt
            Content-Type: text/plain; charset=us-ascii

            plain
            --alt
            Content-Type: text/html; charset=us-ascii
            Content-Transfer-Encoding: quoted-printable

            <p>html =3D ok</p>=
             soft
            --alt--
            """ + "\n");

        Assert.Equal(
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL)"
            + "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"quoted-printable\" 26 1 NIL NIL NIL NIL) "
            + "\"alternative\" (\"boundary\" \"alt\") NIL NIL NIL)",
            Fetch.BodyStructure(message));
        Assert.Equal(
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)"
            + "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"quoted-printable\" 26 1) \"alternative\")",
            Fetch.Body(message));
    }

    [Fact]
    public void An_attachment_has_id_description_encoding_md5_disposition_language_and_location()
    {
        var message = Fetch.Parse(MimeSamples.MixedWithAttachment);

        Assert.Equal(
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 0 NIL NIL NIL NIL)"
            + "(\"application\" \"pdf\" (\"name\" \"report.pdf\") \"<part2@b.c>\" \"The report\" \"base64\" 26 "
            + "\"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"attachment\" (\"filename\" \"report.pdf\" \"size\" \"12\")) (\"en\" \"de-DE\") "
            + "\"http://example.com/ report.pdf\") \"mixed\" (\"boundary\" \"XyZ\") NIL NIL NIL)",
            Fetch.BodyStructure(message));
    }

    [Fact]
    public void Nested_multiparts_nest()
    {
        var message = Fetch.Parse("""
            From: a@b.c
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: multipart/alternative; boundary="inner"

            --inner
            Content-Type: text/plain

            inner plain
            --inner
            Content-Type: text/html

            <b>inner</b>
            --inner--

            --outer
            Content-Type: image/png
            Content-Transfer-Encoding: base64

            iVBORw0KGgo=
            --outer--
            """ + "\n");

        Assert.Equal(
            "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 0 NIL NIL NIL NIL)"
            + "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"inner\") NIL NIL NIL)"
            + "(\"image\" \"png\" NIL NIL NIL \"base64\" 12 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)",
            Fetch.BodyStructure(message));
    }

    [Fact]
    public void A_message_rfc822_part_carries_the_envelope_structure_and_lines_of_the_message_it_holds()
    {
        var message = Fetch.Parse(MimeSamples.ForwardedMessage);

        Assert.Equal(
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 0 NIL NIL NIL NIL)"
            + "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 342 "
            + "(\"Tue, 3 Mar 2026 11:00:00 +0000\" \"inner subject\" ((\"Inner, Sender\" NIL \"inner\" \"example.org\")) "
            + "((\"Inner, Sender\" NIL \"inner\" \"example.org\")) ((\"Inner, Sender\" NIL \"inner\" \"example.org\")) "
            + "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL \"<inner@example.org>\") "
            + "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL)"
            + "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b2\") NIL NIL NIL) "
            + "17 NIL (\"inline\" NIL) NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL)",
            Fetch.BodyStructure(message));
    }

    [Fact]
    public void Parts_of_a_digest_without_content_type_are_messages()
    {
        var message = Fetch.Parse("""
            From: a@b.c
            MIME-Version: 1.0
            Content-Type: multipart/digest; boundary="d"

            --d

            From: one@x.y
            Subject: one

            one body
            --d
            Content-Type: text/plain

            not a message
            --d--
            """ + "\n");

        Assert.Equal(
            "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 39 (NIL \"one\" ((NIL NIL \"one\" \"x.y\")) ((NIL NIL \"one\" \"x.y\")) "
            + "((NIL NIL \"one\" \"x.y\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0 NIL NIL NIL NIL) 3 "
            + "NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 13 0 NIL NIL NIL NIL) "
            + "\"digest\" (\"boundary\" \"d\") NIL NIL NIL)",
            Fetch.BodyStructure(message));
    }

    [Fact]
    public void Rfc2231_continuations_are_joined_and_stay_in_their_encoded_form()
    {
        var message = Fetch.Parse("""
            From: a@b.c
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary=z

            --z
            Content-Type: application/x-stuff;
             title*0*=us-ascii'en'This%20is%20even%20more%20;
             title*1*=%2A%2A%2Afun%2A%2A%2A%20;
             title*2="isn't it!"
            Content-Disposition: attachment; filename*=UTF-8''%C3%BCbersicht.txt

            x
            --z
            Content-Type: text/plain; name*0="long"; name*1="name.txt"; charset=us-ascii
            Content-Disposition: attachment; filename*0="a"; filename*2="c"

            y
            --z--
            """ + "\n");

        // A plain section joined to extended ones is percent-escaped behind an empty charset''; sections
        // with a gap (filename*1 missing) are passed on as they are.
        Assert.Equal(
            "((\"application\" \"x-stuff\" (\"title*\" \"us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't it!\") "
            + "NIL NIL \"7bit\" 1 NIL (\"attachment\" (\"filename*\" \"UTF-8''%C3%BCbersicht.txt\")) NIL NIL)"
            + "(\"text\" \"plain\" (\"charset\" \"us-ascii\" \"name\" \"longname.txt\") NIL NIL \"7bit\" 1 0 NIL "
            + "(\"attachment\" (\"filename*0\" \"a\" \"filename*2\" \"c\")) NIL NIL) \"mixed\" (\"boundary\" \"z\") NIL NIL NIL)",
            Fetch.BodyStructure(message));
    }

    [Fact]
    public void Types_are_sent_as_written_with_comments_and_spacing_dropped()
    {
        var message = Fetch.Parse("""
            From: a@b.c
            MIME-Version: 1.0
            Content-Type: TEXT/Plain; CHARSET="ISO-8859-1" (comment); Format = flowed
            Content-Transfer-Encoding: 8BIT (comment)

            e
            """ + "\n");

        Assert.Equal("(\"TEXT\" \"Plain\" (\"CHARSET\" \"ISO-8859-1\" \"Format\" \"flowed\") NIL NIL \"8BIT\" 3 1 NIL NIL NIL NIL)",
            Fetch.BodyStructure(message));
    }

    [Fact]
    public void Malformed_content_types_are_described_as_dovecot_describes_them()
    {
        var message = Fetch.Parse("""
            From: a@b.c
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="w"

            --w
            Content-Type: multipart

            a
            --w
            Content-Type: text

            b
            --w
            Content-Type:

            c
            --w
            Content-Type: text/plain
            Content-Transfer-Encoding: base64 ; x
            Content-Disposition: inline
            Content-Disposition: attachment; filename=second

            f
            --w--
            """ + "\n");

        // "multipart" without a subtype has no parts to show, so it is opaque; "text" keeps its type with an
        // empty subtype; an empty type is empty strings; an unreadable encoding is 7bit; a disposition without
        // parameters is replaced by a later one.
        Assert.Equal(
            "((\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 1 NIL NIL NIL NIL)"
            + "(\"text\" \"\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL)"
            + "(\"\" \"\" NIL NIL NIL \"7bit\" 1 NIL NIL NIL NIL)"
            + "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL (\"attachment\" (\"filename\" \"second\")) NIL NIL) "
            + "\"mixed\" (\"boundary\" \"w\") NIL NIL NIL)",
            Fetch.BodyStructure(message));
    }

    [Fact]
    public void Eight_bit_parameters_go_as_literals()
    {
        var message = Fetch.Parse("From: a@b.c\nContent-Type: text/plain; name=\"Übersicht.txt\"\n\nx\n");

        Assert.Equal("(\"text\" \"plain\" (\"name\" {14}\r\nÜbersicht.txt \"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)",
            Fetch.Render(w => message.WriteBodyStructure(w, extensible: true), decodeAsUtf8: true));
    }
}
