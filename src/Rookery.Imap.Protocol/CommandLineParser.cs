using System.Buffers;
using System.Globalization;
using System.Text;

namespace Rookery.Imap.Protocol;

public enum ParseStatus
{
    NeedMoreData,
    /// <summary>A synchronising literal was announced: send a continuation request ("+ ..."), then go on reading.</summary>
    NeedContinuation,
    Command,
    /// <summary>The command is refused; answer with <see cref="ParseError"/> and go on with the next one.</summary>
    Error,
}

/// <summary>Why a command line was refused: the tag to answer (null: untagged) and the response.</summary>
/// <param name="Status">BAD for syntax, NO for a well-formed request the server will not take (a literal over the limit).</param>
/// <param name="Code">A response code such as TOOBIG, or null.</param>
/// <param name="Fatal">The stream can no longer be trusted: answer, then close the connection.</param>
public sealed record ParseError(string? Tag, string Status, string? Code, string Text, bool Fatal = false);

/// <summary>Limits the parser enforces while it reads.</summary>
public sealed record ParserLimits
{
    /// <summary>Octets of one line (between literals), CRLF excluded.</summary>
    public int MaxLineLength { get; init; } = 64 * 1024;
    /// <summary>Largest literal accepted (APPENDLIMIT).</summary>
    public long MaxLiteralSize { get; init; } = 64L * 1024 * 1024;
    /// <summary>Largest non-synchronising literal (LITERAL-: 4096).</summary>
    public long MaxNonSyncLiteralSize { get; init; } = 4096;
    /// <summary>Deepest nesting of parenthesised lists.</summary>
    public int MaxNesting { get; init; } = 32;
    /// <summary>Arguments in one command, counted over every list.</summary>
    public int MaxArguments { get; init; } = 100_000;
}

/// <summary>
/// Reads IMAP command lines incrementally (RFC 9051 §2.2, literals per RFC 7888): a line, and
/// after each <c>{n}</c>, <c>{n+}</c> or <c>~{n}</c> that many octets and the rest of the line.
/// No IO: the session feeds it what arrived and acts on the status. Limits hold at every step,
/// so a hostile client never makes it buffer more than one line or one literal it accepted.
/// </summary>
public sealed class CommandLineParser(ParserLimits limits, Func<long, ILiteralBuffer>? literalBuffers = null)
{
    enum Mode { Line, Literal, SkipLiteral, SkipLine }

    abstract record Part;
    sealed record TextPart(byte[] Text) : Part;
    sealed record LiteralPart(ILiteralBuffer Buffer, bool Binary) : Part;

    readonly Func<long, ILiteralBuffer> newLiteral = literalBuffers ?? (size => new MemoryLiteral((int)Math.Min(size, 64 * 1024)));
    readonly List<Part> parts = [];
    Mode mode = Mode.Line;
    long literalRemaining;
    ILiteralBuffer? literal;
    bool literalBinary;

    public ParserLimits Limits => limits;

    /// <summary>Whether part of a command has been taken in (a line before a literal, a literal being read).</summary>
    public bool InCommand => mode != Mode.Line || parts.Count > 0;

    /// <summary>Parses what <paramref name="reader"/> holds; on NeedMoreData nothing past a complete piece is consumed.</summary>
    public ParseStatus TryParse(ref SequenceReader<byte> reader, out ImapCommandLine? command, out ParseError? error)
    {
        command = null;
        error = null;
        while (true)
        {
            switch (mode)
            {
                case Mode.Literal:
                    if (!ReadLiteral(ref reader))
                        return ParseStatus.NeedMoreData;
                    parts.Add(new LiteralPart(literal!, literalBinary));
                    literal = null;
                    mode = Mode.Line;
                    continue;
                case Mode.SkipLiteral:
                    var skip = (int)Math.Min(literalRemaining, reader.Remaining);
                    reader.Advance(skip);
                    literalRemaining -= skip;
                    if (literalRemaining > 0)
                        return ParseStatus.NeedMoreData;
                    mode = Mode.SkipLine;
                    continue;
                case Mode.SkipLine:
                    if (!reader.TryAdvanceTo((byte)'\n'))
                    {
                        reader.Advance(reader.Remaining);
                        return ParseStatus.NeedMoreData;
                    }
                    mode = Mode.Line;
                    continue;
            }

            if (!reader.TryReadTo(out ReadOnlySequence<byte> lineSequence, (byte)'\n'))
            {
                if (reader.Remaining > limits.MaxLineLength)
                {
                    AddLineStart(reader.UnreadSequence);
                    return Fail(out error, "BAD", null, "Command line too long", skipRestOfLine: true);
                }
                return ParseStatus.NeedMoreData;
            }
            if (lineSequence.Length > limits.MaxLineLength + 1)
            {
                AddLineStart(lineSequence);
                return Fail(out error, "BAD", null, "Command line too long", skipRestOfLine: false);
            }
            var line = lineSequence.ToArray();
            var length = line.Length > 0 && line[^1] == '\r' ? line.Length - 1 : line.Length;

            if (TryLiteralMarker(line.AsSpan(0, length), out var markerStart, out var size, out var sync, out var binary))
            {
                parts.Add(new TextPart(line[..markerStart]));
                var max = sync ? limits.MaxLiteralSize : Math.Min(limits.MaxLiteralSize, limits.MaxNonSyncLiteralSize);
                if (size > max)
                {
                    var tooBig = sync || size > limits.MaxLiteralSize;
                    var text = tooBig ? $"Literal of {size} octets exceeds the limit of {limits.MaxLiteralSize}" : $"Non-synchronizing literals are limited to {limits.MaxNonSyncLiteralSize} octets (LITERAL-)";
                    if (sync)
                        return Fail(out error, "NO", "TOOBIG", text, skipRestOfLine: false); // the client sends nothing more for this command
                    // The client sends the octets anyway: skip them and the rest of the line.
                    var status = Fail(out error, tooBig ? "NO" : "BAD", tooBig ? "TOOBIG" : null, text, skipRestOfLine: false);
                    literalRemaining = size;
                    mode = Mode.SkipLiteral;
                    return status;
                }
                literal = newLiteral(size);
                literalRemaining = size;
                literalBinary = binary;
                mode = Mode.Literal;
                if (sync)
                    return ParseStatus.NeedContinuation;
                continue;
            }

            parts.Add(new TextPart(line[..length]));
            var result = Tokenize(out command, out error);
            Reset();
            return result;
        }
    }

    /// <summary>Reads one raw line (an AUTHENTICATE response, IDLE's DONE), CRLF removed.</summary>
    public ParseStatus TryReadLine(ref SequenceReader<byte> reader, out string? line, out ParseError? error)
    {
        line = null;
        error = null;
        if (mode == Mode.SkipLine)
        {
            if (!reader.TryAdvanceTo((byte)'\n'))
            {
                reader.Advance(reader.Remaining);
                return ParseStatus.NeedMoreData;
            }
            mode = Mode.Line;
        }
        if (!reader.TryReadTo(out ReadOnlySequence<byte> sequence, (byte)'\n'))
        {
            if (reader.Remaining > limits.MaxLineLength)
                return Fail(out error, "BAD", null, "Line too long", skipRestOfLine: true);
            return ParseStatus.NeedMoreData;
        }
        if (sequence.Length > limits.MaxLineLength + 1)
            return Fail(out error, "BAD", null, "Line too long", skipRestOfLine: false);
        var bytes = sequence.ToArray();
        line = Encoding.UTF8.GetString(bytes, 0, bytes.Length > 0 && bytes[^1] == '\r' ? bytes.Length - 1 : bytes.Length);
        return ParseStatus.Command;
    }

    bool ReadLiteral(ref SequenceReader<byte> reader)
    {
        while (literalRemaining > 0 && !reader.End)
        {
            var span = reader.UnreadSpan;
            var n = (int)Math.Min(span.Length, literalRemaining);
            literal!.Write(span[..n]);
            reader.Advance(n);
            literalRemaining -= n;
        }
        return literalRemaining == 0;
    }

    /// <summary>A literal announcement at the end of a line: <c>{n}</c>, <c>{n+}</c> or <c>~{n}</c> (literal8, RFC 3516).</summary>
    static bool TryLiteralMarker(ReadOnlySpan<byte> line, out int markerStart, out long size, out bool sync, out bool binary)
    {
        markerStart = 0;
        size = 0;
        sync = true;
        binary = false;
        if (line.Length < 3 || line[^1] != '}')
            return false;
        var end = line.Length - 1;
        if (line[end - 1] == '+')
        {
            sync = false;
            end--;
        }
        var open = line[..end].LastIndexOf((byte)'{');
        if (open < 0 || open == end - 1)
            return false;
        var digits = line[(open + 1)..end];
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
                return false;
        }
        if (digits.Length > 18 || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out size))
            return false;
        if (open > 0 && line[open - 1] == '~')
        {
            binary = true;
            open--;
        }
        markerStart = open;
        return true;
    }

    /// <summary>Keeps the start of a line that is refused, so the refusal can carry its tag.</summary>
    void AddLineStart(ReadOnlySequence<byte> line)
    {
        if (parts.Count == 0)
            parts.Add(new TextPart(line.Slice(0, Math.Min(line.Length, 64)).ToArray()));
    }

    ParseStatus Fail(out ParseError error, string status, string? code, string text, bool skipRestOfLine)
    {
        error = new ParseError(TagOf(), status, code, text);
        Reset();
        if (skipRestOfLine)
            mode = Mode.SkipLine;
        return ParseStatus.Error;
    }

    void Reset()
    {
        foreach (var part in parts)
        {
            if (part is LiteralPart l)
                l.Buffer.Dispose();
        }
        parts.Clear();
        literal?.Dispose();
        literal = null;
        literalRemaining = 0;
        mode = Mode.Line;
    }

    /// <summary>The tag of the line being read, if it has a valid one yet.</summary>
    string? TagOf()
    {
        if (parts.Count == 0 || parts[0] is not TextPart first)
            return null;
        var space = Array.IndexOf(first.Text, (byte)' ');
        var tag = first.Text.AsSpan(0, space < 0 ? first.Text.Length : space);
        return IsValidTag(tag) ? Encoding.ASCII.GetString(tag) : null;
    }

    static bool IsValidTag(ReadOnlySpan<byte> tag)
    {
        if (tag.IsEmpty)
            return false;
        foreach (var b in tag)
        {
            if (!ImapSyntax.IsAStringChar(b) || b == '+')
                return false;
        }
        return true;
    }

    ParseStatus Tokenize(out ImapCommandLine? command, out ParseError? error)
    {
        command = null;
        error = null;
        var tag = TagOf();
        if (tag is null)
        {
            error = new ParseError(null, "BAD", null, "Missing or invalid tag");
            return ParseStatus.Error;
        }
        var tokenizer = new Tokenizer(limits);
        var first = true;
        foreach (var part in parts)
        {
            string? problem;
            if (part is TextPart text)
            {
                var bytes = text.Text.AsSpan();
                if (first)
                    bytes = bytes[Math.Min(bytes.Length, tag.Length)..];
                problem = tokenizer.AddText(bytes);
            }
            else
            {
                var l = (LiteralPart)part;
                problem = tokenizer.AddLiteral(l.Buffer, l.Binary);
            }
            first = false;
            if (problem is not null)
            {
                error = new ParseError(tag, "BAD", null, problem);
                return ParseStatus.Error;
            }
        }
        var arguments = tokenizer.Finish(out var finishProblem);
        if (finishProblem is not null)
        {
            error = new ParseError(tag, "BAD", null, finishProblem);
            return ParseStatus.Error;
        }
        if (arguments.Count == 0 || arguments[0] is not ImapAtom name)
        {
            error = new ParseError(tag, "BAD", null, "Missing command");
            return ParseStatus.Error;
        }
        var commandName = name.Value.ToUpperInvariant();
        var rest = 1;
        if (commandName == "UID")
        {
            if (arguments.Count < 2 || arguments[1] is not ImapAtom sub)
            {
                error = new ParseError(tag, "BAD", null, "UID needs a command");
                return ParseStatus.Error;
            }
            commandName = "UID " + sub.Value.ToUpperInvariant();
            rest = 2;
        }
        // Literal buffers now belong to the command line; Reset must not dispose them.
        parts.RemoveAll(p => p is LiteralPart);
        command = new ImapCommandLine(tag, commandName, arguments.Skip(rest).ToList());
        return ParseStatus.Command;
    }

    /// <summary>Turns the text between literals into arguments, keeping the list structure across literals.</summary>
    sealed class Tokenizer(ParserLimits limits)
    {
        readonly Stack<List<ImapArgument>> open = new([[]]);
        int count;
        bool needSeparator;

        public string? AddLiteral(ILiteralBuffer buffer, bool binary)
        {
            if (needSeparator)
                return "Missing space before literal";
            open.Peek().Add(new ImapString(buffer, IsLiteral: true, binary));
            needSeparator = true;
            return ++count > limits.MaxArguments ? "Too many arguments" : null;
        }

        public string? AddText(ReadOnlySpan<byte> text)
        {
            var i = 0;
            while (i < text.Length)
            {
                var b = text[i];
                if (b == ' ')
                {
                    needSeparator = false;
                    i++;
                    continue;
                }
                if (b == ')')
                {
                    if (open.Count == 1)
                        return "Unbalanced parenthesis";
                    var items = open.Pop();
                    open.Peek().Add(new ImapList(items));
                    needSeparator = true;
                    i++;
                    continue;
                }
                if (needSeparator)
                    return "Missing space between arguments";
                if (b == '(')
                {
                    if (open.Count > limits.MaxNesting)
                        return "Too deeply nested";
                    open.Push([]);
                    i++;
                    continue;
                }
                ImapArgument argument;
                if (b == '"')
                {
                    var end = ReadQuoted(text, i + 1, out var value);
                    if (end < 0)
                        return value is null ? "Unterminated quoted string" : "Invalid escape in quoted string";
                    argument = new ImapString(new MemoryLiteral(value!), IsLiteral: false);
                    i = end;
                }
                else
                {
                    var end = ReadAtom(text, i, out var problem);
                    if (problem is not null)
                        return problem;
                    argument = new ImapAtom(Encoding.UTF8.GetString(text[i..end]));
                    i = end;
                }
                open.Peek().Add(argument);
                needSeparator = true;
                if (++count > limits.MaxArguments)
                    return "Too many arguments";
            }
            return null;
        }

        public List<ImapArgument> Finish(out string? problem)
        {
            problem = open.Count == 1 ? null : "Unbalanced parenthesis";
            return open.Last();
        }

        static bool IsSectionItem(ReadOnlySpan<byte> name)
        {
            foreach (var item in SectionItems)
            {
                if (name.Length == item.Length && Ascii.EqualsIgnoreCase(name, item))
                    return true;
            }
            return false;
        }

        /// <summary>Returns the index after the closing quote, or -1 (value null: unterminated; else a bad escape).</summary>
        static int ReadQuoted(ReadOnlySpan<byte> text, int start, out byte[]? value)
        {
            var result = new List<byte>();
            for (var i = start; i < text.Length; i++)
            {
                var b = text[i];
                if (b == '"')
                {
                    value = [.. result];
                    return i + 1;
                }
                if (b == '\\')
                {
                    if (i + 1 >= text.Length || text[i + 1] is not ((byte)'"' or (byte)'\\'))
                    {
                        value = [];
                        return -1;
                    }
                    i++;
                    b = text[i];
                }
                else if (b is (byte)'\r' or (byte)'\n' or 0)
                {
                    value = [];
                    return -1;
                }
                result.Add(b);
            }
            value = null;
            return -1;
        }

        /// <summary>Fetch items whose section follows in brackets; for any other atom '[' and ']' are ordinary characters.</summary>
        static readonly string[] SectionItems = ["BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE", "RFC822"];

        /// <summary>
        /// An atom, with a bracketed section read whole (spaces and parentheses included) so that
        /// <c>BODY[HEADER.FIELDS (From To)]&lt;0.10&gt;</c> stays one argument.
        /// </summary>
        static int ReadAtom(ReadOnlySpan<byte> text, int start, out string? problem)
        {
            problem = null;
            var i = start;
            while (i < text.Length)
            {
                var b = text[i];
                if (b == '[' && IsSectionItem(text[start..i]))
                {
                    var depth = 1;
                    i++;
                    while (i < text.Length && depth > 0)
                    {
                        if (text[i] == '[')
                            depth++;
                        else if (text[i] == ']')
                            depth--;
                        i++;
                    }
                    if (depth > 0)
                    {
                        problem = "Unterminated [";
                        return i;
                    }
                    continue;
                }
                if (b is (byte)' ' or (byte)'(' or (byte)')')
                    break;
                if (b is (byte)'"' or < 0x20 or 0x7f)
                {
                    problem = $"Invalid character in atom: '{(char)b}'";
                    return i;
                }
                i++;
            }
            return i;
        }
    }
}
