using System.Buffers;
using System.Text;
using Rookery.Imap.Protocol;

namespace Rookery.Imap.Tests;

public sealed class CommandLineParserTests
{
    sealed record Outcome(ParseStatus Status, ImapCommandLine? Command, ParseError? Error);

    /// <summary>Feeds <paramref name="input"/> in pieces of <paramref name="chunk"/> octets, the way a socket may deliver it, and collects what the parser reports.</summary>
    static List<Outcome> Parse(string input, ParserLimits? limits = null, int chunk = int.MaxValue) => Parse(Encoding.UTF8.GetBytes(input), limits, chunk);

    static List<Outcome> Parse(byte[] input, ParserLimits? limits = null, int chunk = int.MaxValue)
    {
        var parser = new CommandLineParser(limits ?? new ParserLimits());
        var outcomes = new List<Outcome>();
        var pending = Array.Empty<byte>();
        for (var offset = 0; offset < input.Length; offset += chunk)
        {
            pending = [.. pending, .. input.AsSpan(offset, Math.Min(chunk, input.Length - offset))];
            while (true)
            {
                var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(pending));
                var status = parser.TryParse(ref reader, out var command, out var error);
                pending = pending[(int)reader.Consumed..];
                if (status == ParseStatus.NeedMoreData)
                    break;
                outcomes.Add(new Outcome(status, command, error));
            }
        }
        return outcomes;
    }

    static ImapCommandLine Single(string input) => Assert.Single(Parse(input)).Command!;

    [Fact]
    public void A_simple_command_gives_tag_name_and_arguments()
    {
        var command = Single("a1 login alice \"pass word\"\r\n");
        Assert.Equal(("a1", "LOGIN"), (command.Tag, command.Name));
        Assert.Equal("alice", ((ImapAtom)command.Arguments[0]).Value);
        Assert.Equal("pass word", ((ImapString)command.Arguments[1]).Text);
    }

    [Fact]
    public void Uid_commands_are_named_with_their_sub_command()
    {
        var command = Single("x UID fetch 1:* (FLAGS)\r\n");
        Assert.Equal("UID FETCH", command.Name);
        Assert.Equal("1:*", command.Arguments[0].ToString());
        Assert.Equal("(FLAGS)", command.Arguments[1].ToString());
    }

    [Fact]
    public void Sections_with_spaces_and_parentheses_stay_one_argument()
    {
        var command = Single("f FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (From To)]<0.100> BINARY[1.2])\r\n");
        var items = ((ImapList)command.Arguments[1]).Items.Select(i => i.ToString());
        Assert.Equal(["UID", "BODY.PEEK[HEADER.FIELDS (From To)]<0.100>", "BINARY[1.2]"], items);
    }

    [Fact]
    public void Quoted_strings_unescape_quotes_and_backslashes_and_keep_utf8()
    {
        var command = Single("s SEARCH SUBJECT \"say \\\"hi\\\" \\\\ Grüße\"\r\n");
        Assert.Equal("say \"hi\" \\ Grüße", ((ImapString)command.Arguments[1]).Text);
    }

    [Theory]
    [InlineData("s SEARCH SUBJECT \"bad \\n escape\"\r\n", "Invalid escape")]
    [InlineData("s SEARCH SUBJECT \"unterminated\r\n", "Unterminated quoted string")]
    [InlineData("s SEARCH (OR (A B)\r\n", "Unbalanced parenthesis")]
    [InlineData("s SEARCH A))\r\n", "Unbalanced parenthesis")]
    [InlineData("s FETCH 1 BODY[HEADER\r\n", "Unterminated [")]
    [InlineData("s LOGIN a\"b c\r\n", "Invalid character")]
    [InlineData("s\r\n", "Missing command")]
    public void Syntax_errors_are_tagged_bad(string input, string message)
    {
        var outcome = Assert.Single(Parse(input));
        Assert.Equal(ParseStatus.Error, outcome.Status);
        Assert.Equal(("s", "BAD"), (outcome.Error!.Tag, outcome.Error.Status));
        Assert.Contains(message, outcome.Error.Text);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("+tag NOOP\r\n")]
    [InlineData("ta{g NOOP\r\n")]
    public void A_line_without_a_valid_tag_gets_an_untagged_bad(string input)
    {
        var outcome = Assert.Single(Parse(input));
        Assert.Equal((ParseStatus.Error, null, "BAD"), (outcome.Status, outcome.Error!.Tag, outcome.Error.Status));
    }

    [Fact]
    public void A_synchronising_literal_asks_for_continuation_and_then_completes_the_command()
    {
        var outcomes = Parse("a LOGIN {5}\r\nalice {3}\r\npw!\r\n");
        Assert.Equal([ParseStatus.NeedContinuation, ParseStatus.NeedContinuation, ParseStatus.Command], outcomes.Select(o => o.Status));
        var command = outcomes[2].Command!;
        Assert.Equal(["alice", "pw!"], command.Arguments.Select(a => ((ImapString)a).Text));
        Assert.True(((ImapString)command.Arguments[0]).IsLiteral);
    }

    [Fact]
    public void Non_synchronising_literals_need_no_continuation_and_may_hold_crlf_and_any_octet()
    {
        var outcomes = Parse(Encoding.Latin1.GetBytes("a APPEND INBOX (\\Seen) {12+}\r\nab\r\n\0\u00ff{3}\r\nx\r\nb NOOP\r\n"), chunk: 3);
        Assert.Equal([ParseStatus.Command, ParseStatus.Command], outcomes.Select(o => o.Status));
        var append = outcomes[0].Command!;
        Assert.Equal("(\\Seen)", append.Arguments[1].ToString());
        Assert.Equal(Encoding.Latin1.GetBytes("ab\r\n\0\u00ff{3}\r\nx"), ((ImapString)append.Arguments[2]).Content.Span.ToArray());
        Assert.Equal("NOOP", outcomes[1].Command!.Name);
    }

    [Fact]
    public void Literals_inside_lists_keep_the_list_structure()
    {
        var command = Single("a SEARCH CHARSET UTF-8 (OR SUBJECT {2+}\r\nhi FROM bob)\r\n");
        var list = (ImapList)command.Arguments[2];
        Assert.Equal(["OR", "SUBJECT", "{2}", "FROM", "bob"], list.Items.Select(i => i.ToString()));
    }

    [Fact]
    public void A_binary_literal8_is_marked_binary()
    {
        var command = Single("a APPEND INBOX ~{3+}\r\n\0\0\0\r\n");
        var literal = (ImapString)command.Arguments[1];
        Assert.True(literal.IsBinary);
        Assert.Equal(3, literal.Content.Length);
    }

    [Fact]
    public void A_synchronising_literal_over_the_limit_is_refused_before_the_client_sends_it()
    {
        var outcomes = Parse("a APPEND INBOX {1000}\r\nb NOOP\r\n", new ParserLimits { MaxLiteralSize = 999 });
        Assert.Equal(("a", "NO", "TOOBIG"), (outcomes[0].Error!.Tag, outcomes[0].Error!.Status, outcomes[0].Error!.Code));
        Assert.Equal("NOOP", outcomes[1].Command!.Name);
    }

    [Fact]
    public void A_non_synchronising_literal_over_the_limit_is_refused_and_its_octets_skipped()
    {
        var body = new string('x', 5000);
        var outcomes = Parse($"a APPEND INBOX {{5000+}}\r\n{body} rest of line\r\nb NOOP\r\n", chunk: 700);
        Assert.Equal(("a", "BAD"), (outcomes[0].Error!.Tag, outcomes[0].Error!.Status)); // LITERAL-: at most 4096
        Assert.Contains("LITERAL-", outcomes[0].Error!.Text);
        Assert.Equal("NOOP", Assert.Single(outcomes.Skip(1)).Command!.Name);
    }

    [Fact]
    public void A_hundred_kilobyte_line_is_refused_without_buffering_it_and_the_next_command_works()
    {
        var input = "a NOOP " + new string('x', 100_000) + "\r\nb NOOP\r\n";
        var outcomes = Parse(input, new ParserLimits { MaxLineLength = 8192 }, chunk: 4096);
        Assert.Equal(("a", "BAD"), (outcomes[0].Error!.Tag, outcomes[0].Error!.Status));
        Assert.Contains("too long", outcomes[0].Error!.Text);
        Assert.Equal("b", Assert.Single(outcomes.Skip(1)).Command!.Tag);
    }

    [Fact]
    public void Deep_nesting_is_refused()
    {
        var input = "s SEARCH " + new string('(', 200) + "ALL" + new string(')', 200) + "\r\n";
        var outcome = Assert.Single(Parse(input));
        Assert.Contains("nested", outcome.Error!.Text);
        ImapArgument argument = Single("s SEARCH ((((((((ALL))))))))\r\n").Arguments[0];
        var depth = 0;
        while (argument is ImapList list)
        {
            depth++;
            argument = Assert.Single(list.Items);
        }
        Assert.Equal((8, "ALL"), (depth, argument.ToString()));
    }

    [Fact]
    public void An_unterminated_literal_leaves_the_parser_waiting_for_the_rest()
    {
        var outcomes = Parse("a APPEND INBOX {100+}\r\nonly part of it");
        Assert.Empty(outcomes); // nothing is reported until the octets arrive; the session's idle timeout ends it
    }

    [Fact]
    public void Raw_lines_for_authenticate_and_idle_are_read_as_they_are()
    {
        var parser = new CommandLineParser(new ParserLimits());
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>("AGFsaWNlAHB3\r\nDONE\r\n"u8.ToArray()));
        Assert.Equal(ParseStatus.Command, parser.TryReadLine(ref reader, out var first, out _));
        Assert.Equal(ParseStatus.Command, parser.TryReadLine(ref reader, out var second, out _));
        Assert.Equal(("AGFsaWNlAHB3", "DONE"), (first, second));
    }
}
