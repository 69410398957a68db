using System.Text;
using Rookery.Imap.Mime;

namespace Rookery.Imap.Tests.Mime;

// Expected values are what Dovecot 2.3.19 sends for the same messages.
public sealed class EnvelopeTests
{
    [Fact]
    public void A_simple_message_gives_every_field_and_sender_and_reply_to_default_to_from()
    {
        var message = Fetch.Parse("""
            From: Alice <alice@example.com>
            To: bob@example.com
            Subject: hello
            Date: Mon, 2 Mar 2026 10:00:00 +0100
            Message-ID: <1@example.com>
            In-Reply-To: <0@example.com>

            Hello
            """);

        Assert.Equal(
            "(\"Mon, 2 Mar 2026 10:00:00 +0100\" \"hello\" ((\"Alice\" NIL \"alice\" \"example.com\")) "
            + "((\"Alice\" NIL \"alice\" \"example.com\")) ((\"Alice\" NIL \"alice\" \"example.com\")) "
            + "((NIL NIL \"bob\" \"example.com\")) NIL NIL \"<0@example.com>\" \"<1@example.com>\")",
            Fetch.Envelope(message));
    }

    [Fact]
    public void Absent_fields_are_nil()
    {
        var message = Fetch.Parse("X-Only: this\n\nbody\n");

        Assert.Equal("(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)", Fetch.Envelope(message));
    }

    [Fact]
    public void Groups_start_with_their_name_and_end_with_an_all_nil_address_and_an_empty_to_is_nil()
    {
        var message = Fetch.Parse("""
            From: Group: a@b.c, "Q, R" <q@r.s>;, solo@x.y
            To:
            Cc: undisclosed-recipients:;
            Bcc: empty:;, (comment only) user@host (Real Name)
            Reply-To: <@route1,@route2:user@host>
            Sender: "Weird \" Name" <weird@host>
            Subject: groups

            x
            """);

        Assert.Equal(
            "(NIL \"groups\" ((NIL NIL \"Group\" NIL)(NIL NIL \"a\" \"b.c\")(\"Q, R\" NIL \"q\" \"r.s\")(NIL NIL NIL NIL)(NIL NIL \"solo\" \"x.y\")) "
            + "((\"Weird \\\" Name\" NIL \"weird\" \"host\")) ((NIL \"@route1,@route2\" \"user\" \"host\")) NIL "
            + "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
            + "((NIL NIL \"empty\" NIL)(NIL NIL NIL NIL)(\"Real Name\" NIL \"user\" \"host\")) NIL NIL)",
            Fetch.Envelope(message));
    }

    [Fact]
    public void Values_are_the_unfolded_header_text_not_decoded_and_repeated_fields_follow_dovecot()
    {
        var message = Fetch.Parse(string.Join("\n",
            "From: =?utf-8?q?J=C3=BCrgen?= <j@x.y>",
            "Subject : first subject",
            "Subject: =?iso-8859-1?q?Gr=FC=DFe?=",
            "  aus\tBerlin",
            "To: one@x.y",
            "To: two@x.y,",
            " three@x.y",
            "Message-ID:",
            " <folded@id>",
            "Date:    Mon, 2 Mar 2026 10:00:00 +0100   ",
            "",
            "body",
            ""));

        // The last Subject counts, its folding and tab become single spaces; To fields add up; other
        // values keep their spacing (the Message-ID's continuation line starts with a space).
        Assert.Equal(
            "(\"Mon, 2 Mar 2026 10:00:00 +0100   \" \"=?iso-8859-1?q?Gr=FC=DFe?= aus Berlin\" "
            + "((\"=?utf-8?q?J=C3=BCrgen?=\" NIL \"j\" \"x.y\")) ((\"=?utf-8?q?J=C3=BCrgen?=\" NIL \"j\" \"x.y\")) "
            + "((\"=?utf-8?q?J=C3=BCrgen?=\" NIL \"j\" \"x.y\")) "
            + "((NIL NIL \"one\" \"x.y\")(NIL NIL \"two\" \"x.y\")(NIL NIL \"three\" \"x.y\")) NIL NIL NIL \" <folded@id>\")",
            Fetch.Envelope(message));
    }

    [Fact]
    public void Eight_bit_header_values_go_as_literals_unless_the_client_enabled_utf8()
    {
        var message = Fetch.Parse("From: Jürgen <jm@example.de>\nSubject: Grüße aus Köln\n\nbody\n");

        var name = Literal("Jürgen");
        Assert.Equal(
            $"(NIL {Literal("Grüße aus Köln")} (({name} NIL \"jm\" \"example.de\")) (({name} NIL \"jm\" \"example.de\")) "
            + $"(({name} NIL \"jm\" \"example.de\")) NIL NIL NIL NIL NIL)",
            Fetch.Envelope(message, utf8: false, decodeAsUtf8: true));
        Assert.Equal(
            "(NIL \"Grüße aus Köln\" ((\"Jürgen\" NIL \"jm\" \"example.de\")) ((\"Jürgen\" NIL \"jm\" \"example.de\")) "
            + "((\"Jürgen\" NIL \"jm\" \"example.de\")) NIL NIL NIL NIL NIL)",
            Fetch.Envelope(message, utf8: true));
    }

    [Fact]
    public void Octets_that_are_not_utf8_stay_literals_even_for_utf8_clients()
    {
        var message = MessageStructure.Parse(Encoding.Latin1.GetBytes("Subject: Gr\u00fc\u00dfe\r\n\r\nbody\r\n"));

        Assert.StartsWith("(NIL {5}\r\nGr\u00fc\u00dfe NIL", Fetch.Envelope(message), StringComparison.Ordinal);
        Assert.StartsWith("(NIL {5}\r\nGr\u00fc\u00dfe NIL", Fetch.Envelope(message, utf8: true, decodeAsUtf8: false), StringComparison.Ordinal);
    }

    static string Literal(string text) => $"{{{Encoding.UTF8.GetByteCount(text)}}}\r\n{text}";
}
