using System.Globalization;
using System.Text;
using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>FETCH and UID FETCH (RFC 9051 §6.4.5).</summary>
public sealed partial class ImapSession
{
    enum FetchKind { Uid, Flags, InternalDate, Size, Section, Rfc822, Rfc822Header, Rfc822Text, ModSeq }

    /// <summary>One data item asked for; for BODY[...] its section, whether it is a PEEK, and the partial range.</summary>
    sealed record FetchItem(FetchKind Kind, string Section = "", bool Peek = false, long? PartialStart = null, long? PartialLength = null)
    {
        public bool NeedsContent => Kind is FetchKind.Section or FetchKind.Rfc822 or FetchKind.Rfc822Header or FetchKind.Rfc822Text;
        public bool SetsSeen => Kind is FetchKind.Rfc822 or FetchKind.Rfc822Text || (Kind == FetchKind.Section && !Peek);
    }

    async Task<string?> FetchAsync(ImapCommandLine command, bool uids, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 2, 3);
        var set = Sequence(command.Arguments[0]);
        var targets = Resolve(set, uids);
        var items = ParseFetchItems(command.Arguments[1]);
        var (changedSince, vanished) = command.Arguments.Count == 3 ? FetchModifiers(command.Arguments[2], uids) : (null, false);
        if (uids && !items.Any(i => i.Kind == FetchKind.Uid))
            items.Insert(0, new FetchItem(FetchKind.Uid));
        if (items.Any(i => i.Kind == FetchKind.ModSeq) || changedSince is not null)
            EnableCondStore();
        if (changedSince is not null && !items.Any(i => i.Kind == FetchKind.ModSeq))
            items.Add(new FetchItem(FetchKind.ModSeq));
        var view = selected!;
        if (changedSince is { } since)
        {
            targets = targets.Where(t => t.Message.Item.ModSeq > since).ToList();
            if (vanished)
            {
                var gone = (await ExpungedSinceAsync(view.FolderId, since, cancellationToken))
                    .Where(uid => set.Contains(uid, view.UidNext - 1) && view.SequenceOf(uid) == 0).ToList(); // "*" reaches every UID ever given
                if (gone.Count > 0)
                    writer.Untagged($"VANISHED (EARLIER) {UidSet(gone)}");
            }
        }

        // \Seen is set before answering, so the FLAGS sent are the ones stored
        var markSeen = new HashSet<long>();
        if (!view.ReadOnly && items.Any(i => i.SetsSeen))
        {
            var unseen = targets.Where(t => !t.Message.Expunged && !t.Message.Item.Flags.HasFlag(MessageFlags.Seen)).Select(t => t.Message.Uid).ToList();
            if (unseen.Count > 0)
            {
                var result = await Store.SetFlagsAsync(view.FolderId, unseen, new FlagChange(FlagOperation.Add, MessageFlags.Seen, []), cancellationToken);
                foreach (var changed in result.Changed)
                {
                    if (view.SequenceOf(changed.Uid) is var seq && seq > 0)
                        view[seq].Item = changed;
                    markSeen.Add(changed.Uid);
                }
            }
        }

        var expunged = false;
        foreach (var (seq, message) in targets)
        {
            if (message.Expunged)
            {
                expunged = true;
                continue;
            }
            byte[]? content = null;
            if (items.Any(i => i.NeedsContent))
                content = await ReadContentAsync(message.Item, cancellationToken);
            writer.Raw("* ").Number(seq).Raw(" FETCH (");
            var first = true;
            foreach (var item in items)
            {
                if (!first)
                    writer.Space();
                first = false;
                WriteFetchItem(item, message, content);
            }
            if (markSeen.Contains(message.Uid) && !items.Any(i => i.Kind == FetchKind.Flags))
                writer.Raw(" FLAGS ").Raw(FlagList(message));
            writer.Raw(")").EndLine();
            if (content is not null)
                await transport.Output.FlushAsync(cancellationToken);
        }
        if (expunged)
            throw No("Some of the requested messages no longer exist", "EXPUNGEISSUED");
        return null;
    }

    async Task<byte[]> ReadContentAsync(ItemInfo item, CancellationToken cancellationToken)
    {
        await using var stream = await Store.OpenContentAsync(item, cancellationToken);
        using var buffer = new MemoryStream(item.Size > 0 && item.Size < int.MaxValue ? (int)item.Size : 0);
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    void WriteFetchItem(FetchItem item, ViewMessage message, byte[]? content)
    {
        var info = message.Item;
        switch (item.Kind)
        {
            case FetchKind.Uid:
                writer.Raw("UID ").Number(info.Uid);
                break;
            case FetchKind.Flags:
                writer.Raw("FLAGS ").Raw(FlagList(message));
                break;
            case FetchKind.InternalDate:
                writer.Raw("INTERNALDATE \"").Raw(FormatDateTime(info.ReceivedAt)).Raw("\"");
                break;
            case FetchKind.Size:
                writer.Raw("RFC822.SIZE ").Number(info.Size);
                break;
            case FetchKind.ModSeq:
                writer.Raw("MODSEQ (").Number(info.ModSeq).Raw(")");
                break;
            case FetchKind.Rfc822:
                writer.Raw("RFC822 ").Literal(content!);
                break;
            case FetchKind.Rfc822Header:
                writer.Raw("RFC822.HEADER ").Literal(MessageSections.Header(content!).Span);
                break;
            case FetchKind.Rfc822Text:
                writer.Raw("RFC822.TEXT ").Literal(MessageSections.Text(content!).Span);
                break;
            case FetchKind.Section:
                var section = MessageSections.Get(content!, item.Section);
                writer.Raw("BODY[").Raw(item.Section).Raw("]");
                if (item.PartialStart is { } start)
                {
                    writer.Raw("<").Number(start).Raw(">");
                    section = start >= section.Length ? ReadOnlyMemory<byte>.Empty : section.Slice((int)start, (int)Math.Min(item.PartialLength!.Value, section.Length - start));
                }
                writer.Space().Literal(section.Span);
                break;
        }
    }

    /// <summary>FETCH modifiers (RFC 7162): (CHANGEDSINCE modseq [VANISHED]); VANISHED only with UID FETCH and QRESYNC.</summary>
    (long? ChangedSince, bool Vanished) FetchModifiers(ImapArgument argument, bool uids)
    {
        long? changedSince = null;
        var vanished = false;
        var items = List(argument);
        for (var i = 0; i < items.Count; i++)
        {
            switch (Atom(items[i]).ToUpperInvariant())
            {
                case "CHANGEDSINCE" when i + 1 < items.Count:
                    changedSince = Number(items[++i]);
                    break;
                case "VANISHED":
                    if (!uids || !qResync)
                        throw Bad("VANISHED needs UID FETCH and ENABLE QRESYNC");
                    vanished = true;
                    break;
                default:
                    throw Bad("Unknown FETCH modifier");
            }
        }
        if (vanished && changedSince is null)
            throw Bad("VANISHED needs CHANGEDSINCE");
        return (changedSince, vanished);
    }

    static List<FetchItem> ParseFetchItems(ImapArgument argument)
    {
        if (argument is ImapAtom macro)
        {
            switch (macro.Value.ToUpperInvariant())
            {
                case "FAST":
                    return [new(FetchKind.Flags), new(FetchKind.InternalDate), new(FetchKind.Size)];
                case "ALL":
                case "FULL":
                    throw No("ENVELOPE and BODYSTRUCTURE are not available yet", "CANNOT");
                default:
                    return [ParseFetchItem(macro.Value)];
            }
        }
        var list = List(argument);
        if (list.Count == 0)
            throw Bad("Empty fetch item list");
        return list.Select(i => ParseFetchItem(Atom(i))).ToList();
    }

    static FetchItem ParseFetchItem(string text)
    {
        var upper = text.ToUpperInvariant();
        switch (upper)
        {
            case "UID": return new(FetchKind.Uid);
            case "FLAGS": return new(FetchKind.Flags);
            case "INTERNALDATE": return new(FetchKind.InternalDate);
            case "RFC822.SIZE": return new(FetchKind.Size);
            case "RFC822": return new(FetchKind.Rfc822);
            case "RFC822.HEADER": return new(FetchKind.Rfc822Header);
            case "RFC822.TEXT": return new(FetchKind.Rfc822Text);
            case "MODSEQ": return new(FetchKind.ModSeq);
        }
        var open = upper.IndexOf('[', StringComparison.Ordinal);
        var close = upper.LastIndexOf(']');
        if (open < 0 || close < open)
            throw Bad($"Unknown fetch item {Printable(text)}");
        var name = upper[..open];
        if (name is not ("BODY" or "BODY.PEEK"))
            throw Bad($"Unknown fetch item {Printable(text)}");
        var section = NormalizeSection(text[(open + 1)..close]);
        long? start = null, length = null;
        var rest = text[(close + 1)..];
        if (rest.Length > 0)
        {
            var dot = rest.IndexOf('.', StringComparison.Ordinal);
            if (rest[0] != '<' || rest[^1] != '>' || dot < 0
                || !long.TryParse(rest[1..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                || !long.TryParse(rest[(dot + 1)..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var l) || l == 0)
                throw Bad("Invalid partial range");
            (start, length) = (s, l);
        }
        return new FetchItem(FetchKind.Section, section, Peek: name == "BODY.PEEK", start, length);
    }

    /// <summary>Checks a section spec and writes it the way responses echo it (upper-case keywords, field names as given).</summary>
    static string NormalizeSection(string section)
    {
        var upper = section.ToUpperInvariant();
        if (upper is "" or "HEADER" or "TEXT")
            return upper;
        foreach (var keyword in new[] { "HEADER.FIELDS.NOT", "HEADER.FIELDS" })
        {
            if (upper.StartsWith(keyword + " (", StringComparison.Ordinal) && upper.EndsWith(')'))
            {
                var fields = section[(keyword.Length + 2)..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 0 || fields.Any(f => f.Any(c => c <= ' ' || c == ':' || c > '~')))
                    throw Bad("Invalid header field list");
                return $"{keyword} ({string.Join(' ', fields.Select(f => f.ToUpperInvariant()))})";
            }
        }
        throw No("Body part sections are not available yet", "CANNOT");
    }
}

/// <summary>Header and text of a message, and header field selections, as byte-exact slices.</summary>
static class MessageSections
{
    /// <summary>Where the header ends: after the first empty line, or the whole message when there is none.</summary>
    static int HeaderLength(ReadOnlySpan<byte> message)
    {
        if (message.StartsWith("\r\n"u8))
            return 2;
        var end = message.IndexOf("\r\n\r\n"u8);
        return end < 0 ? message.Length : end + 4;
    }

    public static ReadOnlyMemory<byte> Header(byte[] message) => message.AsMemory(0, HeaderLength(message));

    public static ReadOnlyMemory<byte> Text(byte[] message) => message.AsMemory(HeaderLength(message));

    public static ReadOnlyMemory<byte> Get(byte[] message, string section)
    {
        if (section.Length == 0)
            return message;
        if (section == "HEADER")
            return Header(message);
        if (section == "TEXT")
            return Text(message);
        var not = section.StartsWith("HEADER.FIELDS.NOT", StringComparison.Ordinal);
        var open = section.IndexOf('(', StringComparison.Ordinal);
        var names = section[(open + 1)..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return SelectFields(Header(message).Span, names, not);
    }

    /// <summary>The header fields named (or, with <paramref name="exclude"/>, all others), each with its continuation lines, then the empty line.</summary>
    static byte[] SelectFields(ReadOnlySpan<byte> header, HashSet<string> names, bool exclude)
    {
        var result = new List<byte>();
        var keep = false;
        while (!header.IsEmpty)
        {
            var end = header.IndexOf("\r\n"u8);
            var line = end < 0 ? header : header[..(end + 2)];
            header = end < 0 ? [] : header[(end + 2)..];
            if (line.SequenceEqual("\r\n"u8))
                break;
            if (line[0] is not ((byte)' ' or (byte)'\t'))
            {
                var colon = line.IndexOf((byte)':');
                var name = colon < 0 ? "" : Encoding.ASCII.GetString(line[..colon]).TrimEnd();
                keep = colon >= 0 && names.Contains(name) != exclude;
            }
            if (keep)
                result.AddRange(line);
        }
        result.AddRange("\r\n"u8);
        return [.. result];
    }
}
