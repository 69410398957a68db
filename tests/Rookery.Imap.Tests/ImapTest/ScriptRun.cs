using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>
/// One execution of one script: opens its connections, brings them to the header's state, then
/// sends each command group and checks the replies.
/// </summary>
sealed partial class ScriptRun(ImapTestScript script, IImapTestServer server, IReadOnlyList<MboxMessage> messages, RunnerOptions options) : IAsyncDisposable
{
    readonly List<ScriptConnection> connections = [];
    readonly Variables variables = new();
    int nextMessage;
    int nextTag;

    public int CommandsRun { get; private set; }

    ScriptHeader Header => script.Header;

    public async Task ExecuteAsync(CancellationToken cancellationToken)
    {
        var accounts = new List<ImapTestAccount>();
        for (var i = 0; i < Header.Connections; i++)
        {
            // after the first connection's CAPABILITY: a missing capability is the better reason to skip
            accounts.Add(AccountOf(i + 1));
            var connection = await ScriptConnection.OpenAsync(server, options.Timeout, cancellationToken);
            connections.Add(connection);
            if (connection.Greeting?.Status is not ("OK" or "PREAUTH"))
                throw new ScriptFailedException($"setup: connection {i + 1} greeting was {connection.Greeting?.ToString() ?? "nothing"}");
            if (Header.State != ScriptState.NonAuth)
                await RequireOkAsync(i + 1, $"LOGIN {Quote(accounts[i].User)} {Quote(accounts[i].Password)}", cancellationToken);
            if (i == 0)
                await CheckCapabilitiesAsync(cancellationToken);
        }
        DefineVariables(accounts);
        if (Header.State >= ScriptState.Auth)
            await DeleteTestMailboxesAsync(cancellationToken);
        if (Header.State >= ScriptState.Created)
            await RequireOkAsync(1, $"CREATE {Quote(options.Mailbox)}", cancellationToken);
        if (Header.State >= ScriptState.Appended)
        {
            for (var i = 0; i < (Header.Messages ?? messages.Count); i++)
                await RequireOkAsync(1, AppendMessage($"APPEND {Quote(options.Mailbox)}"), cancellationToken);
        }
        if (Header.State >= ScriptState.Selected)
        {
            for (var i = 1; i <= connections.Count; i++)
                await RequireOkAsync(i, $"SELECT {Quote(options.Mailbox)}", cancellationToken);
        }
        // Like imaptest, go on after a mismatch, so the report shows everything that differs;
        // a connection that broke or stopped answering ends the run.
        var mismatches = new List<string>();
        foreach (var group in script.Groups)
        {
            try
            {
                await RunGroupAsync(group, cancellationToken);
            }
            catch (CommandMismatchException e)
            {
                mismatches.Add(e.Message);
                if (e.Fatal)
                    break;
            }
        }
        if (mismatches.Count > 0)
            throw new ScriptFailedException(Report(mismatches));
    }

    static string Report(List<string> mismatches)
    {
        if (mismatches.Count == 1)
            return mismatches[0];
        var others = mismatches.Skip(1).Select(m => m.Split('\n')[0]).Select(m => Segments.Shorten(m, 160));
        return $"{mismatches.Count} commands failed; the first: {mismatches[0]}\nthe others:\n  " + string.Join("\n  ", others);
    }

    /// <summary>A command whose replies differ from the script; <see cref="Fatal"/> when the connection can no longer be trusted.</summary>
    sealed class CommandMismatchException(string message, bool fatal) : Exception(message)
    {
        public bool Fatal { get; } = fatal;
    }

    /// <summary>The login of connection <paramref name="number"/>: the first account unless a "user N:" line names another.</summary>
    ImapTestAccount AccountOf(int number)
    {
        if (!Header.Users.TryGetValue(number, out var template))
            return server.Accounts[0];
        var match = UserVariable().Match(template.Trim());
        var index = match.Success ? (match.Groups[1].Length == 0 ? 1 : int.Parse(match.Groups[1].Value)) : -1;
        if (index >= 1 && index <= server.Accounts.Count)
            return server.Accounts[index - 1];
        return server.Accounts.FirstOrDefault(a => a.User == template.Trim())
            ?? throw new ScriptNotApplicableException($"connection {number} logs in as '{template}', and {server.Name} has {server.Accounts.Count} account(s) configured");
    }

    [GeneratedRegex(@"^\$\{?user([0-9]*)\}?$")]
    private static partial Regex UserVariable();

    /// <summary>"Only advertise what works": N/A is decided from the server's own CAPABILITY reply.</summary>
    async Task CheckCapabilitiesAsync(CancellationToken cancellationToken)
    {
        var exchange = await RequireOkAsync(1, "CAPABILITY", cancellationToken);
        var advertised = exchange.Untagged
            .Where(r => r.Tokens is [AtomToken { Text: var word }, ..] && word.Equals("CAPABILITY", StringComparison.OrdinalIgnoreCase))
            .SelectMany(r => r.Tokens.Skip(1).OfType<AtomToken>().Select(a => a.Text))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missing = Header.Capabilities.Where(c => !advertised.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new ScriptNotApplicableException("not advertised: " + string.Join(' ', missing));
    }

    void DefineVariables(List<ImapTestAccount> accounts)
    {
        variables.Set("mailbox", options.Mailbox);
        variables.Set("mailbox_url", Uri.EscapeDataString(options.Mailbox));
        // $user2… follow the connections that log in as someone else; the rest are the configured accounts
        var logins = accounts.Take(1).Concat(server.Accounts.Skip(1)).ToList();
        for (var i = 0; i < logins.Count; i++)
        {
            var suffix = i == 0 ? "" : (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var user = logins[i].User;
            var at = user.IndexOf('@', StringComparison.Ordinal);
            variables.Set("user" + suffix, user);
            variables.Set("username" + suffix, at < 0 ? user : user[..at]);
            variables.Set("domain" + suffix, at < 0 ? "" : user[(at + 1)..]);
            variables.Set("password" + suffix, logins[i].Password);
        }
    }

    /// <summary>
    /// imaptest's destructive start: every mailbox whose name begins with $mailbox goes, deepest
    /// first, and so do subscriptions to such names, so that no earlier test shows through.
    /// </summary>
    async Task DeleteTestMailboxesAsync(CancellationToken cancellationToken)
    {
        var pattern = Quote(options.Mailbox + "*");
        foreach (var name in MailboxNames(await RequireOkAsync(1, $"LIST \"\" {pattern}", cancellationToken), "LIST").OrderByDescending(n => n.Length))
            await CommandAsync(1, $"DELETE {Quote(name)}", cancellationToken);
        foreach (var name in MailboxNames(await CommandAsync(1, $"LSUB \"\" {pattern}", cancellationToken), "LSUB"))
            await CommandAsync(1, $"UNSUBSCRIBE {Quote(name)}", cancellationToken);
        var left = MailboxNames(await RequireOkAsync(1, $"LIST \"\" {pattern}", cancellationToken), "LIST").ToList();
        if (left.Count > 0)
            throw new ScriptFailedException($"setup: could not delete the mailboxes of an earlier test: {string.Join(", ", left)}");
    }

    static IEnumerable<string> MailboxNames(Exchange exchange, string kind) =>
        exchange.Untagged
            .Where(r => r.Tokens.Count == 4 && r.Tokens[0] is AtomToken a && a.Text.Equals(kind, StringComparison.OrdinalIgnoreCase))
            .Select(r => r.Tokens[3] switch { AtomToken a => a.Text, QuotedToken q => q.Text, LiteralToken l => l.Content, _ => "" })
            .Where(n => n.Length > 0);

    static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    Task<Exchange> CommandAsync(int connection, string text, CancellationToken cancellationToken) =>
        CommandAsync(connection, [new TextSegment(text)], cancellationToken);

    async Task<Exchange> CommandAsync(int connection, IReadOnlyList<Segment> text, CancellationToken cancellationToken)
    {
        var command = new OutgoingCommand(NextTag(), text);
        var exchange = await connections[connection - 1].ExecuteAsync([command], options.Timeout, cancellationToken);
        if (exchange.Error is not null)
            throw new ScriptFailedException($"setup: {command}: {exchange.Error}{Received(exchange)}");
        return exchange;
    }

    Task<Exchange> RequireOkAsync(int connection, string text, CancellationToken cancellationToken) =>
        RequireOkAsync(connection, [new TextSegment(text)], cancellationToken);

    async Task<Exchange> RequireOkAsync(int connection, IReadOnlyList<Segment> text, CancellationToken cancellationToken)
    {
        var exchange = await CommandAsync(connection, text, cancellationToken);
        var reply = exchange.Tagged.Values.Single();
        if (reply.Status != "OK")
            throw new ScriptFailedException($"setup: connection {connection}: {Segments.Describe(text, 60)}: {reply}");
        return exchange;
    }

    string NextTag() => "t" + ++nextTag;

    /// <summary>An APPEND with the next mbox message (wrapping round) and its "From " line date.</summary>
    List<Segment> AppendMessage(string command)
    {
        var message = messages[nextMessage++ % messages.Count];
        return [new TextSegment($"{command.TrimEnd()} \"{message.InternalDate}\" "), new LiteralSegment(message.Content, Binary: false)];
    }

    async Task RunGroupAsync(CommandGroup group, CancellationToken cancellationToken)
    {
        var first = group.Commands[0];
        var outgoing = group.Commands.Select(c => new OutgoingCommand(c.Tag ?? NextTag(), Expand(c))).ToList();
        var exchange = await connections[group.Connection - 1].ExecuteAsync(outgoing, options.Timeout, cancellationToken);
        CommandsRun += outgoing.Count;
        if (exchange.Error is not null)
            Fail(first, exchange.Error + Received(exchange), fatal: true);
        // $tag is the tag of the command being checked: "* esearch (tag $tag)"
        variables.Set("tag", outgoing[0].Tag);
        var matcher = new ResponseMatcher(variables);
        for (var i = 0; i < group.Commands.Count; i++)
        {
            var command = group.Commands[i];
            var reply = exchange.Tagged[outgoing[i].Tag];
            var expected = command.Reply ?? new ExpectedReply(ExpectedStatus.Any, null, "");
            if (!matcher.MatchesReply(expected, reply))
                Fail(command, $"expected {expected}, got: {reply}{Received(exchange)}");
        }
        CheckUntagged(group, exchange, matcher);
    }

    void CheckUntagged(CommandGroup group, Exchange exchange, ResponseMatcher matcher)
    {
        var responses = WithExpungesBefore(exchange.Untagged);
        var matched = new bool[responses.Count];
        foreach (var expectation in group.Untagged.OrderBy(e => e.Kind))
        {
            var hit = responses.FindIndex(r => matcher.Matches(expectation.Pattern, r.Response, r.ExpungedBefore));
            switch (expectation.Kind)
            {
                case ExpectationKind.Required when hit < 0:
                    Fail(group.Commands[0], $"expected (line {expectation.Line}) `{expectation}`, not among the replies{Received(exchange, all: true)}");
                    break;
                case ExpectationKind.Banned when hit >= 0:
                    Fail(group.Commands[0], $"(line {expectation.Line}) `{expectation}` must not come, but the server sent: {responses[hit].Response}");
                    break;
            }
            if (hit >= 0)
                matched[hit] = true;
        }
        if (!Header.IgnoreExtraUntagged && Array.IndexOf(matched, false) is var extra and >= 0)
            Fail(group.Commands[0], $"a reply the script does not list: {responses[extra].Response}");
    }

    /// <summary>
    /// Pairs each untagged reply with the messages (numbered as when the command started) that
    /// EXPUNGEs before it removed, which is what a $N in the script refers to.
    /// </summary>
    static List<(ServerResponse Response, IReadOnlyList<int> ExpungedBefore)> WithExpungesBefore(IEnumerable<ServerResponse> responses)
    {
        var expunged = new List<int>();
        var result = new List<(ServerResponse, IReadOnlyList<int>)>();
        foreach (var response in responses)
        {
            result.Add((response, expunged.ToArray()));
            if (response.ExpungedSequence is not { } seq)
                continue;
            var original = 1;
            while (expunged.Contains(original) || original - expunged.Count(e => e < original) != seq)
                original++;
            expunged.Add(original);
        }
        return result;
    }

    /// <summary>
    /// The command as it goes out: variables expanded, {{{ blocks with CRLF line ends. An APPEND
    /// that brings no message of its own (no literal, no CATENATE) gets the next mbox message,
    /// and a bare "append" goes to $mailbox.
    /// </summary>
    List<Segment> Expand(ScriptCommand command)
    {
        var text = new List<Segment>();
        try
        {
            foreach (var segment in command.Text)
            {
                text.Add(segment switch
                {
                    TextSegment t => new TextSegment(Template.Parse(t.Text).Expand(variables)),
                    LiteralSegment { Binary: false } l => new LiteralSegment(ResponsePattern.Crlf(l.Content), false),
                    _ => segment,
                });
            }
        }
        catch (UnboundVariableException e)
        {
            Fail(command, e.Message);
        }
        var whole = Segments.Describe(text);
        var words = whole.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (text.Count == 1 && words is [var verb, ..] && verb.Equals("append", StringComparison.OrdinalIgnoreCase)
            && !words.Any(w => w.Equals("catenate", StringComparison.OrdinalIgnoreCase)))
            return AppendMessage(words.Length == 1 ? $"{verb} {options.Mailbox}" : whole);
        return text;
    }

    static string Received(Exchange exchange, bool all = false)
    {
        var lines = exchange.Untagged.Select(r => r.ToString()).Concat(exchange.Tagged.Values.Select(r => r.ToString())).ToList();
        if (lines.Count == 0)
            return "; nothing else came";
        var shown = all ? lines.Take(25) : lines.Take(8);
        var text = new StringBuilder("; the server sent:");
        foreach (var line in shown)
            text.Append("\n    ").Append(Segments.Shorten(line, 300));
        if (lines.Count > shown.Count())
            text.Append($"\n    … {lines.Count - shown.Count()} more");
        return text.ToString();
    }

    [DoesNotReturn]
    static void Fail(ScriptCommand command, string message, bool fatal = false) =>
        throw new CommandMismatchException($"line {command.Line} `{command}`: {message}", fatal);

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in connections)
            await connection.DisposeAsync();
    }
}
