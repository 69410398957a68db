namespace Rookery.Imap.Tests.ImapTest;

/// <summary>The runner's own pieces, so that a script's verdict can be trusted: reading the format, and matching replies.</summary>
public sealed class RunnerTests
{
    static ImapTestScript Read(string text, params string[] environment) =>
        ScriptReader.Read("t", text, environment.Contains);

    static ServerResponse Response(string line, params string[] literals)
    {
        // "{}" in the line stands for the next literal
        var parts = line.Split("{}");
        var segments = new List<Segment>();
        for (var i = 0; i < parts.Length; i++)
        {
            segments.Add(new TextSegment(parts[i]));
            if (i < literals.Length)
                segments.Add(new LiteralSegment(literals[i], false));
        }
        return ServerResponse.Parse(segments);
    }

    static ResponsePattern Pattern(string text) => Read("ok noop\n" + text + "\n").Groups[0].Untagged[0].Pattern;

    [Fact]
    public void Header_and_the_three_ways_of_writing_a_command_are_read_into_groups()
    {
        var script = Read("""
            # a comment before the header
            connections: 2
            state: created
            messages: all
            user 2: $user2

            1 ok select $mailbox
            * 0 exists
            2 examine $mailbox
            * ok [uidvalidity $v]
            2 ok [read-only]
            2 tag1 status $mailbox (messages)
            2 tag2 noop
            * status $mailbox (messages 0)
            2 tag1 ok
            2 tag2 "" [x]
            1 append ${mailbox}x
            1 no [trycreate]
            """);
        Assert.Equal(2, script.Header.Connections);
        Assert.Equal(ScriptState.Created, script.Header.State);
        Assert.Null(script.Header.Messages);
        Assert.Equal("$user2", script.Header.Users[2]);
        Assert.Equal(4, script.Groups.Count);
        var (method1, method2, pipelined, withReply) = (script.Groups[0], script.Groups[1], script.Groups[2], script.Groups[3]);
        Assert.Equal(ExpectedStatus.Ok, method1.Commands.Single().Reply!.Status);
        Assert.Single(method1.Untagged);
        Assert.Equal(2, method2.Connection);
        Assert.Equal("examine $mailbox", Segments.Describe(method2.Commands.Single().Text));
        Assert.Equal(ExpectedStatus.Ok, method2.Commands[0].Reply!.Status);
        Assert.NotNull(method2.Commands[0].Reply!.Code);
        Assert.Equal(new[] { "tag1", "tag2" }, pipelined.Commands.Select(c => c.Tag));
        Assert.Equal(new[] { ExpectedStatus.Ok, ExpectedStatus.Any }, pipelined.Commands.Select(c => c.Reply!.Status));
        Assert.Single(pipelined.Untagged);
        Assert.Equal(ExpectedStatus.No, withReply.Commands.Single().Reply!.Status);
    }

    [Fact]
    public void Literal_blocks_fold_into_their_line_and_conditions_pick_lines()
    {
        var script = Read("""
            state: auth

            !ifenv HAVE_X
            ok append $mailbox ~{{{
            a
            # not a comment
            }}} x {{{

            b
            }}})
            !else
            ok never
            !endif
            !ifnenv HAVE_X
            ok never
            !endif
            """, "HAVE_X");
        var command = script.Groups.Single().Commands.Single();
        Assert.Equal<Segment>(
            new Segment[] { new TextSegment("append $mailbox "), new LiteralSegment("a\n# not a comment", true), new TextSegment(" x "), new LiteralSegment("\nb", false), new TextSegment(")") },
            command.Text);
    }

    [Fact]
    public void Fetch_items_match_in_any_order_and_fetch_flags_exactly_but_for_recent()
    {
        var variables = new Variables();
        var matcher = new ResponseMatcher(variables);
        var pattern = Pattern(@"* 1 fetch (flags (\seen $$hello) uid $uid)");
        Assert.True(matcher.Matches(pattern, Response(@"* 1 FETCH (UID 7 MODSEQ (3) FLAGS ($Hello \Recent \Seen))"), []));
        Assert.True(variables.TryGet("uid", out var uid) && uid == "7");
        Assert.False(matcher.Matches(pattern, Response(@"* 1 FETCH (UID 7 FLAGS (\Seen $hello \Flagged))"), []));
        Assert.False(matcher.Matches(pattern, Response(@"* 1 FETCH (UID 8 FLAGS (\Seen $hello))"), []));
        Assert.False(matcher.Matches(Pattern(@"* 1 fetch (flags ($!ordered \seen \answered))"), Response(@"* 1 FETCH (FLAGS (\Answered \Seen))"), []));
    }

    [Fact]
    public void A_failed_match_binds_nothing_and_two_unknowns_in_one_value_match_nothing()
    {
        var variables = new Variables();
        var matcher = new ResponseMatcher(variables);
        Assert.False(matcher.Matches(Pattern("* status $box (messages $n uidnext 9)"), Response("* STATUS x (MESSAGES 2 UIDNEXT 8)"), []));
        Assert.False(variables.TryGet("box", out _) || variables.TryGet("n", out _));
        Assert.True(matcher.Matches(Pattern("* list () $sep $root"), Response("* LIST (\\Noselect) \"/\" \"\""), []));
        Assert.True(variables.TryGet("sep", out var sep) && sep == "/" && variables.TryGet("root", out var root) && root == "");
        Assert.False(matcher.Matches(Pattern("* search $a$b"), Response("* SEARCH 12"), []));
        Assert.True(matcher.Matches(Pattern("* list () $sep box${sep}${case:Sub}$leaf"), Response("* LIST () \"/\" BOX/Subtree"), []));
        Assert.True(variables.TryGet("leaf", out var leaf) && leaf == "tree");
        Assert.False(matcher.Matches(Pattern("* list () $sep box${sep}${case:Sub}tree"), Response("* LIST () \"/\" box/subtree"), []));
    }

    [Fact]
    public void Sequence_variables_follow_the_expunges_that_came_before_the_reply()
    {
        var matcher = new ResponseMatcher(new Variables());
        // messages 1 and 3 were expunged: "* 1 EXPUNGE" then "* 2 EXPUNGE"
        Assert.True(matcher.Matches(Pattern("* $3 expunge"), Response("* 2 EXPUNGE"), [1]));
        Assert.False(matcher.Matches(Pattern("* $3 expunge"), Response("* 3 EXPUNGE"), [1]));
        Assert.True(matcher.Matches(Pattern("* $4 fetch (flags ())"), Response("* 2 FETCH (FLAGS ())"), [1, 3]));
        Assert.False(matcher.Matches(Pattern("* $3 fetch (flags ())"), Response("* 2 FETCH (FLAGS ())"), [1, 3]));
    }

    [Fact]
    public void Modseq_variables_must_grow_by_at_least_their_index_difference()
    {
        var variables = new Variables();
        Assert.False(variables.TryBind("modseq2", "1"));
        Assert.True(variables.TryBind("modseq2", "10"));
        Assert.False(variables.TryBind("modseq5", "12"));
        Assert.True(variables.TryBind("modseq5", "13"));
    }

    [Fact]
    public void Text_blocks_compare_exactly_and_binary_blocks_without_line_ends()
    {
        var matcher = new ResponseMatcher(new Variables());
        // a block's lines end where the next begins; the line break before }}} is not content
        Assert.True(matcher.Matches(Pattern("* 1 fetch (body[text] {{{\nbody1\n\n\n}}})"), Response("* 1 FETCH (BODY[TEXT] {})", "body1\r\n\r\n"), []));
        Assert.False(matcher.Matches(Pattern("* 1 fetch (body[text] {{{\nbody1\n\n}}})"), Response("* 1 FETCH (BODY[TEXT] {})", "body1\r\n\r\n"), []));
        // a lone CR cannot be written in a script line
        Assert.True(matcher.Matches(Pattern("* 1 fetch (binary[1]<5> ~{{{\nfgh\n}}})"), Response("* 1 FETCH (BINARY[1]<5> {})", "fg\rh\r\n"), []));
        Assert.False(matcher.Matches(Pattern("* 1 fetch (binary[1]<5> ~{{{\nfgh\n}}})"), Response("* 1 FETCH (BINARY[1]<5> {})", "fgi"), []));
    }

    [Fact]
    public void Status_replies_match_on_status_code_and_the_start_of_their_text()
    {
        var variables = new Variables();
        var matcher = new ResponseMatcher(variables);
        var script = Read("copy 1 box\nok [copyuid $v $src $dst] copy\n");
        var expected = script.Groups[0].Commands[0].Reply!;
        Assert.True(matcher.MatchesReply(expected, Response("a OK [COPYUID 5 1 9] COPY completed")));
        Assert.False(matcher.MatchesReply(expected, Response("a OK [COPYUID 5 1:2 9 10 11] COPY completed")));
        Assert.False(matcher.MatchesReply(expected, Response("a NO [COPYUID 5 1 9] COPY completed")));
        Assert.True(matcher.Matches(Pattern("* ok [uidvalidity $v]"), Response("* OK [UIDVALIDITY 5] UIDs valid"), []));
        Assert.False(matcher.Matches(Pattern("* ok [uidvalidity $v]"), Response("* OK [UIDVALIDITY 6] UIDs valid"), []));
    }

    [Fact]
    public void Mbox_messages_keep_the_blank_line_before_the_next_one_and_take_the_from_line_date()
    {
        var messages = Mbox.Parse("From a@b  Fri Feb 22 17:06:23 2008\nSubject: 1\n\nbody1\n\nFrom a@b  Sat Mar 3 23:00:00 2007 +0200\nSubject: 2\n\nbody2\n");
        Assert.Equal(new[] { new MboxMessage("Subject: 1\r\n\r\nbody1\r\n\r\n", "22-Feb-2008 17:06:23 +0000"), new MboxMessage("Subject: 2\r\n\r\nbody2\r\n", "03-Mar-2007 23:00:00 +0200") }, messages);
    }

    [Fact]
    public void Known_failures_may_fail_but_must_not_pass_and_others_must_not_fail()
    {
        var known = new KnownFailures(new Dictionary<string, string> { ["listed"] = "a reason" });
        ScriptResult Result(string name, ScriptOutcome outcome) => new(name, outcome, "detail", TimeSpan.Zero);
        Assert.Null(known.Verdict(Result("listed", ScriptOutcome.Failed)));
        Assert.Contains("passes now", known.Verdict(Result("listed", ScriptOutcome.Passed)));
        Assert.Contains("not applicable", known.Verdict(Result("listed", ScriptOutcome.NotApplicable)));
        Assert.Equal("detail", known.Verdict(Result("other", ScriptOutcome.Failed)));
        Assert.Null(known.Verdict(Result("other", ScriptOutcome.Passed)));
        Assert.Null(known.Verdict(Result("other", ScriptOutcome.NotApplicable)));
    }
}
