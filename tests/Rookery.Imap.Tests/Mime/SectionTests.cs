namespace Rookery.Imap.Tests.Mime;

// Expected values are what Dovecot 2.3.19 sends for BODY[section] of the same messages.
public sealed class SectionTests
{
    static readonly string Forwarded = MimeSamples.ForwardedMessage.ReplaceLineEndings("\r\n");

    [Fact]
    public void The_empty_section_is_the_whole_message_and_header_and_text_split_it_at_the_blank_line()
    {
        var message = Fetch.Parse(MimeSamples.ForwardedMessage);

        Assert.Equal(Forwarded, Fetch.Section(message, ""));
        Assert.Equal("From: a@b.c\r\nTo: x@y.z\r\nSubject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n",
            Fetch.Section(message, "HEADER"));
        Assert.Equal(Forwarded, Fetch.Section(message, "HEADER") + Fetch.Section(message, "TEXT"));
    }

    [Fact]
    public void Parts_are_their_bodies_without_the_line_break_before_the_boundary()
    {
        var message = Fetch.Parse(MimeSamples.ForwardedMessage);

        Assert.Equal("see below", Fetch.Section(message, "1"));
        Assert.Equal("see below", Fetch.Section(message, "1.1")); // a leaf is its own part 1, as in Dovecot
        Assert.Equal("Content-Type: text/plain\r\n\r\n", Fetch.Section(message, "1.MIME"));
        Assert.Equal("Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n", Fetch.Section(message, "2.MIME"));
    }

    [Fact]
    public void Header_text_and_part_numbers_below_a_message_rfc822_part_are_those_of_the_message_it_holds()
    {
        var message = Fetch.Parse(MimeSamples.ForwardedMessage);

        Assert.Equal(
            "From: \"Inner, Sender\" <inner@example.org>\r\nTo: undisclosed-recipients:;\r\nSubject: inner subject\r\n"
            + "Date: Tue, 3 Mar 2026 11:00:00 +0000\r\nMessage-ID: <inner@example.org>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n",
            Fetch.Section(message, "2.HEADER"));
        Assert.Equal("--b2\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--b2\r\nContent-Type: text/html\r\n\r\n<i>inner</i>\r\n--b2--\r\n",
            Fetch.Section(message, "2.TEXT")); // the epilogue (one line break) belongs to the inner multipart
        Assert.Equal("inner text", Fetch.Section(message, "2.1"));
        Assert.Equal("Content-Type: text/html\r\n\r\n", Fetch.Section(message, "2.2.MIME"));
        Assert.Equal(Fetch.Section(message, "2.HEADER") + Fetch.Section(message, "2.TEXT"), Fetch.Section(message, "2"));
        Assert.Equal("From: \"Inner, Sender\" <inner@example.org>\r\nSubject: inner subject\r\n\r\n",
            Fetch.Section(message, "2.HEADER.FIELDS (Subject FROM)"));
    }

    [Fact]
    public void Part_one_of_a_single_part_message_is_its_body_and_its_mime_header_is_the_message_header()
    {
        var message = Fetch.Parse("From: a@b.c\nSubject: s\n\nthe body\n");

        Assert.Equal("the body\r\n", Fetch.Section(message, "1"));
        Assert.Equal("From: a@b.c\r\nSubject: s\r\n\r\n", Fetch.Section(message, "1.MIME"));
    }

    [Theory]
    [InlineData("3")] // no third part
    [InlineData("1.1.1")] // a text part has no parts
    [InlineData("1.HEADER")] // HEADER of a part that is not message/rfc822
    [InlineData("1.TEXT")]
    [InlineData("2.3")]
    [InlineData("0")] // not a part number
    [InlineData("1.")] // syntax errors
    [InlineData("MIME")]
    [InlineData("HEADER.FIELDS ()")]
    [InlineData("HEADER.FIELDS (From")]
    [InlineData("BOGUS")]
    public void Sections_that_name_nothing_are_refused(string section)
    {
        var message = Fetch.Parse(MimeSamples.ForwardedMessage);

        Assert.False(message.TryGetSection(section, out _));
    }

    [Fact]
    public void Header_fields_are_matched_without_case_in_message_order_with_continuations_and_the_blank_line()
    {
        var message = Fetch.Parse("""
            From: a@b.c
            Received: by x;
             Mon, 2 Mar 2026
            Subject: one
            to: b@c.d
            Subject: two

            body
            """);

        Assert.Equal("From: a@b.c\r\nSubject: one\r\nSubject: two\r\n\r\n", Fetch.Section(message, "HEADER.FIELDS (subject FROM)"));
        Assert.Equal("From: a@b.c\r\nSubject: one\r\nSubject: two\r\n\r\n", Fetch.Section(message, "header.fields (\"Subject\" From)"));
        Assert.Equal("From: a@b.c\r\nSubject: one\r\nto: b@c.d\r\nSubject: two\r\n\r\n", Fetch.Section(message, "HEADER.FIELDS.NOT (Received)"));
        Assert.Equal("Received: by x;\r\n Mon, 2 Mar 2026\r\n\r\n", Fetch.Section(message, "HEADER.FIELDS (RECEIVED)"));
        Assert.Equal("\r\n", Fetch.Section(message, "HEADER.FIELDS (X-Missing)"));
    }

    [Fact]
    public void Header_fields_of_a_message_without_body_still_end_with_a_blank_line()
    {
        var message = Fetch.Parse("From: a@b.c\nSubject: only headers\n");

        Assert.Equal("From: a@b.c\r\nSubject: only headers\r\n", Fetch.Section(message, "HEADER"));
        Assert.Equal("", Fetch.Section(message, "TEXT"));
        Assert.Equal("Subject: only headers\r\n\r\n", Fetch.Section(message, "HEADER.FIELDS (Subject)"));
        Assert.Equal("From: a@b.c\r\nSubject: only headers\r\n", Fetch.Section(message, "HEADER.FIELDS.NOT (To)"));
    }

    [Fact]
    public void A_blank_line_right_before_a_boundary_belongs_to_the_boundary()
    {
        // RFC 2046 §5.1.1: the line break before a delimiter is the delimiter's. After an empty body that
        // line break is the header's blank line, so the part is its header fields alone.
        var message = Fetch.Parse("""
            Content-Type: multipart/mixed; boundary="e"

            --e
            Content-Type: text/plain

            --e--
            """);

        Assert.Equal("Content-Type: text/plain\r\n", Fetch.Section(message, "1.MIME"));
        Assert.Equal("", Fetch.Section(message, "1"));
    }
}
