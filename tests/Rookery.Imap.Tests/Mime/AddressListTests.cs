namespace Rookery.Imap.Tests.Mime;

// Each address list as the To field of a message; the expected ENVELOPE To is what Dovecot 2.3.19 sends.
public sealed class AddressListTests
{
    [Theory]
    [InlineData("bob@example.com", "((NIL NIL \"bob\" \"example.com\"))")]
    [InlineData("\"Bob B.\" <bob@x.y>", "((\"Bob B.\" NIL \"bob\" \"x.y\"))")]
    [InlineData("Mary  Smith <mary@x.y>", "((\"Mary Smith\" NIL \"mary\" \"x.y\"))")]
    [InlineData("=?utf-8?q?J=C3=BCrgen?= <j@x.y>", "((\"=?utf-8?q?J=C3=BCrgen?=\" NIL \"j\" \"x.y\"))")]
    [InlineData("\"a\\\\b\" <ab@x.y>", "((\"a\\\\b\" NIL \"ab\" \"x.y\"))")]
    [InlineData("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", "((\"Pete\" NIL \"pete\" \"silly.test\"))")]
    [InlineData("a@b.c (c1) (c2)", "((\"c2\" NIL \"a\" \"b.c\"))")] // the last comment names an addr-spec
    [InlineData("<@route1,@route2:user@host>", "((NIL \"@route1,@route2\" \"user\" \"host\"))")]
    [InlineData(".dot.@x.y, us..er@x.y", "((NIL NIL \".dot.\" \"x.y\")(NIL NIL \"us..er\" \"x.y\"))")]
    [InlineData("<user@[1.2.3.4]>, user@ domain . com", "((NIL NIL \"user\" \"[1.2.3.4]\")(NIL NIL \"user\" \"domain.com\"))")]
    [InlineData("A Group:Ed Jones <c@a.test>,joe@where.test;",
        "((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")(NIL NIL \"joe\" \"where.test\")(NIL NIL NIL NIL))")]
    [InlineData("undisclosed-recipients:;", "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))")]
    [InlineData("", "NIL")]
    [InlineData("  (just a comment)", "NIL")]
    // Broken input still gives addresses, the missing pieces filled in.
    [InlineData("user", "((NIL NIL \"user\" \"MISSING_DOMAIN\"))")]
    [InlineData("Display Name", "((\"Display Name\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))")]
    [InlineData("\"Quoted Only\", x@y", "((\"Quoted Only\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"x\" \"y\"))")]
    [InlineData("user@, @domain", "((NIL NIL \"user\" \"MISSING_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" \"domain\"))")]
    [InlineData("<>, <@route>", "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL \"INVALID_ROUTE\" \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))")]
    [InlineData("a@b, ,c@d", "((NIL NIL \"a\" \"b\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"c\" \"d\"))")]
    [InlineData("x@y, \"unterminated <x@y>", "((NIL NIL \"x\" \"y\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))")]
    [InlineData("undisclosed\"recipients:;", "((NIL NIL \"undisclosed\" \"MISSING_DOMAIN\"))")]
    [InlineData("user@h(st (Real Name)", "((NIL NIL \"user\" \"MISSING_DOMAIN\"))")]
    [InlineData("Name <user@host", "((\"Name\" NIL \"user\" \"SYNTAX_ERROR\"))")]
    public void Address_lists_parse_as_dovecot_parses_them(string value, string expected)
    {
        var message = Fetch.Parse($"To: {value}\n\nx\n");

        var envelope = Fetch.Envelope(message);
        Assert.Equal($"(NIL NIL NIL NIL NIL {expected} NIL NIL NIL NIL)", envelope);
    }
}
