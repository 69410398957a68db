using System.Globalization;
using System.Text.RegularExpressions;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>A script that does not follow the format; names the file and line.</summary>
sealed class ScriptFormatException(string message) : Exception(message);

/// <summary>
/// Reads imaptest's scripted-test format (docs/scripted_test.md): a header of "key: value"
/// lines, then commands with their expected replies. Multi-line {{{ … }}} blocks are literals;
/// #comments and !ifenv/!ifnenv/!else/!endif apply outside them.
/// </summary>
static partial class ScriptReader
{
    /// <summary>A line as the script means it: literal blocks folded in.</summary>
    sealed record LogicalLine(int Number, IReadOnlyList<Segment> Segments, LineKind Kind)
    {
        public string Head => Segments.Count > 0 && Segments[0] is TextSegment t ? t.Text : "";
    }

    enum LineKind { Text, Blank, Comment, Directive }

    public static ImapTestScript Read(string name, string text, Func<string, bool> environmentHas)
    {
        try
        {
            var lines = Preprocess(Fold(text), environmentHas);
            var position = 0;
            var header = ReadHeader(lines, ref position);
            return new ImapTestScript(name, header, ReadCommands(lines, position, header));
        }
        catch (FormatException e)
        {
            throw new ScriptFormatException($"{name}: {e.Message}");
        }
    }

    /// <summary>Physical lines to logical ones: a line ending in {{{ or ~{{{ goes on after the }}} that closes the block.</summary>
    static List<LogicalLine> Fold(string text)
    {
        var physical = text.Split('\n');
        if (physical.Length > 0 && physical[^1].Length == 0)
            physical = physical[..^1];
        var lines = new List<LogicalLine>();
        for (var i = 0; i < physical.Length; i++)
        {
            var number = i + 1;
            var current = physical[i].TrimEnd('\r');
            if (current.StartsWith('#'))
            {
                lines.Add(new LogicalLine(number, [], LineKind.Comment));
                continue;
            }
            if (Directive().IsMatch(current))
            {
                lines.Add(new LogicalLine(number, [new TextSegment(current.Trim())], LineKind.Directive));
                continue;
            }
            if (current.Trim().Length == 0)
            {
                lines.Add(new LogicalLine(number, [], LineKind.Blank));
                continue;
            }
            var segments = new List<Segment>();
            while (current.EndsWith("{{{", StringComparison.Ordinal))
            {
                var binary = current.EndsWith("~{{{", StringComparison.Ordinal);
                segments.Add(new TextSegment(current[..^(binary ? 4 : 3)]));
                var content = new List<string>();
                for (i++; i < physical.Length && !physical[i].StartsWith("}}}", StringComparison.Ordinal); i++)
                    content.Add(physical[i]);
                if (i == physical.Length)
                    throw new FormatException($"line {number}: {{{{{{ without }}}}}}");
                // The block's text is its lines; the line break before }}} only ends the last line.
                segments.Add(new LiteralSegment(string.Join('\n', content), binary));
                current = physical[i][3..].TrimEnd('\r');
            }
            segments.Add(new TextSegment(current));
            lines.Add(new LogicalLine(number, segments, LineKind.Text));
        }
        return lines;
    }

    [GeneratedRegex(@"^!(ifenv|ifnenv|else|endif)\b")]
    private static partial Regex Directive();

    /// <summary>Applies !ifenv/!ifnenv/!else/!endif and drops comments.</summary>
    static List<LogicalLine> Preprocess(List<LogicalLine> lines, Func<string, bool> environmentHas)
    {
        var result = new List<LogicalLine>();
        var conditions = new Stack<(bool Parent, bool Active)>();
        var active = true;
        foreach (var line in lines)
        {
            if (line.Kind == LineKind.Directive)
            {
                var words = line.Head.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                switch (words[0])
                {
                    case "!ifenv" or "!ifnenv":
                        if (words.Length != 2)
                            throw new FormatException($"line {line.Number}: {words[0]} needs one variable name");
                        conditions.Push((active, active && environmentHas(words[1]) == (words[0] == "!ifenv")));
                        break;
                    case "!else":
                        if (conditions.Count == 0)
                            throw new FormatException($"line {line.Number}: !else without !ifenv");
                        var (parent, was) = conditions.Pop();
                        conditions.Push((parent, parent && !was));
                        break;
                    default:
                        if (conditions.Count == 0)
                            throw new FormatException($"line {line.Number}: !endif without !ifenv");
                        conditions.Pop();
                        break;
                }
                active = conditions.Count == 0 || conditions.Peek().Active;
                continue;
            }
            if (active && line.Kind != LineKind.Comment)
                result.Add(line);
        }
        if (conditions.Count > 0)
            throw new FormatException("!ifenv without !endif");
        return result;
    }

    [GeneratedRegex(@"^([A-Za-z_]+(?: [0-9]+)?)\s*:\s*(.*)$")]
    private static partial Regex HeaderLine();

    static ScriptHeader ReadHeader(List<LogicalLine> lines, ref int position)
    {
        var capabilities = new List<string>();
        int connections = 1;
        var state = ScriptState.Selected;
        int? messages = 0; // what imaptest does, although its doc says "all"
        var ignoreExtra = true;
        var users = new Dictionary<int, string>();
        for (; position < lines.Count && lines[position].Kind == LineKind.Text && lines[position].Segments.Count == 1; position++)
        {
            var match = HeaderLine().Match(lines[position].Head);
            if (!match.Success)
                break;
            var (key, value) = (match.Groups[1].Value.ToLowerInvariant(), match.Groups[2].Value.Trim());
            switch (key)
            {
                case "capabilities":
                    capabilities.AddRange(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    break;
                case "connections":
                    connections = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "state":
                    state = value.ToLowerInvariant() switch
                    {
                        "nonauth" => ScriptState.NonAuth,
                        "auth" => ScriptState.Auth,
                        "created" => ScriptState.Created,
                        "appended" => ScriptState.Appended,
                        "selected" => ScriptState.Selected,
                        _ => throw new FormatException($"line {lines[position].Number}: unknown state '{value}'"),
                    };
                    break;
                case "messages":
                    messages = value.Equals("all", StringComparison.OrdinalIgnoreCase) ? null : int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "ignore_extra_untagged":
                    ignoreExtra = !value.Equals("no", StringComparison.OrdinalIgnoreCase);
                    break;
                case var user when user.StartsWith("user ", StringComparison.Ordinal):
                    users[int.Parse(user[5..], CultureInfo.InvariantCulture)] = value;
                    break;
                default:
                    throw new FormatException($"line {lines[position].Number}: unknown header '{key}'");
            }
        }
        return new ScriptHeader(capabilities, connections, state, messages, ignoreExtra, users);
    }

    [GeneratedRegex(@"^([0-9]+) +")]
    private static partial Regex ConnectionPrefix();

    /// <summary>A line split into its connection number (when it has one), first word, and the segments after that word.</summary>
    sealed record Words(int? Connection, string First, string? Second, IReadOnlyList<Segment> Whole, IReadOnlyList<Segment> AfterFirst, IReadOnlyList<Segment> AfterSecond);

    static Words Split(LogicalLine line)
    {
        var head = line.Head;
        int? connection = null;
        if (ConnectionPrefix().Match(head) is { Success: true } prefix)
        {
            connection = int.Parse(prefix.Groups[1].Value, CultureInfo.InvariantCulture);
            head = head[prefix.Length..];
        }
        var (first, afterFirst) = Word(head);
        var (second, afterSecond) = Word(afterFirst);
        List<Segment> With(string text) => [new TextSegment(text), .. line.Segments.Skip(1)];
        return new Words(connection, first, second.Length == 0 && afterFirst.Length == 0 ? null : second, With(head), With(afterFirst), With(afterSecond));
    }

    static (string Word, string After) Word(string text)
    {
        text = text.TrimStart(' ');
        if (text.StartsWith("\"\"", StringComparison.Ordinal))
            return ("\"\"", text[2..].TrimStart(' '));
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (text, "") : (text[..space], text[(space + 1)..].TrimStart(' '));
    }

    static ExpectedStatus? StatusOf(string? word) => word?.ToLowerInvariant() switch
    {
        "ok" => ExpectedStatus.Ok,
        "no" => ExpectedStatus.No,
        "bad" => ExpectedStatus.Bad,
        "\"\"" => ExpectedStatus.Any,
        _ => null,
    };

    static List<CommandGroup> ReadCommands(List<LogicalLine> lines, int position, ScriptHeader header)
    {
        var groups = new List<CommandGroup>();
        CommandGroup? group = null;
        for (var index = position; index < lines.Count; index++)
        {
            var line = lines[index];
            if (line.Kind == LineKind.Blank)
            {
                group = null;
                continue;
            }
            var head = line.Head;
            if (head.Length > 0 && head[0] is '*' or '!' or '?' && (head.Length == 1 || head[1] == ' '))
            {
                if (group is null)
                    throw new FormatException($"line {line.Number}: an expected reply with no command before it");
                var kind = head[0] switch { '*' => ExpectationKind.Required, '!' => ExpectationKind.Banned, _ => ExpectationKind.Optional };
                List<Segment> pattern = [new TextSegment(head.Length > 1 ? head[2..] : ""), .. line.Segments.Skip(1)];
                group.Untagged.Add(new UntaggedExpectation(line.Number, kind, ResponsePattern.Parse(pattern)));
                continue;
            }
            var words = Split(line);
            var connection = words.Connection ?? 1;
            if (connection < 1 || connection > header.Connections)
                throw new FormatException($"line {line.Number}: connection {connection} of {header.Connections}");
            if (StatusOf(words.First) is { } status)
            {
                // The reply line of a command written without its expected status, or a command with one.
                if (group is not null && group.Connection == connection && group.Commands is [{ Tag: null, Reply: null } waiting])
                {
                    waiting.Reply = Reply(status, words.AfterFirst);
                    continue;
                }
                group = new CommandGroup(connection);
                group.Commands.Add(new ScriptCommand(line.Number, null, words.AfterFirst) { Reply = new ExpectedReply(status, null, "") });
                groups.Add(group);
                continue;
            }
            if (group is not null && StatusOf(words.Second) is { } tagStatus && group.Connection == connection
                && group.Commands.FirstOrDefault(c => c.Tag == words.First && c.Reply is null) is { } tagged)
            {
                tagged.Reply = Reply(tagStatus, words.AfterSecond);
                continue;
            }
            if (HasTaggedReplyAhead(lines, index, words.Connection, words.First))
            {
                // Pipelined: consecutive tagged commands go out together until the first reply line.
                if (group is null || group.Connection != connection || group.Untagged.Count > 0 || group.Commands.Any(c => c.Tag is null || c.Reply is not null))
                {
                    group = new CommandGroup(connection);
                    groups.Add(group);
                }
                group.Commands.Add(new ScriptCommand(line.Number, words.First, words.AfterFirst));
                continue;
            }
            group = new CommandGroup(connection);
            group.Commands.Add(new ScriptCommand(line.Number, null, words.Whole));
            groups.Add(group);
        }
        return groups;
    }

    static ExpectedReply Reply(ExpectedStatus status, IReadOnlyList<Segment> rest)
    {
        var reader = new TokenReader(rest, patterns: true);
        ListPattern? code = null;
        if (reader.Peek('['))
            code = (ListPattern)ResponsePattern.Compile(reader.Read());
        return new ExpectedReply(status, code, reader.Rest());
    }

    /// <summary>Whether a later line of the same block is "[conn] word ok|no|bad|\"\"", which makes word a tag.</summary>
    static bool HasTaggedReplyAhead(List<LogicalLine> lines, int index, int? connection, string word)
    {
        for (var i = index + 1; i < lines.Count && lines[i].Kind != LineKind.Blank; i++)
        {
            var head = lines[i].Head;
            if (head.Length == 0 || head[0] is '*' or '!' or '?')
                continue;
            var words = Split(lines[i]);
            if (words.Connection == connection && words.First == word && StatusOf(words.Second) is not null)
                return true;
        }
        return false;
    }
}
