using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>FETCH and UID FETCH (RFC 9051 §6.4.5).</summary>
public sealed partial class ImapSession
{
    enum FetchKind { Uid, Flags, InternalDate, Size, Section, Rfc822, Rfc822Header, Rfc822Text, ModSeq, Envelope, Body, BodyStructure, Binary, BinarySize }

    /// <summary>One data item asked for; for BODY[...] its section, whether it is a PEEK, and the partial range.</summary>
    sealed record FetchItem(FetchKind Kind, string Section = "", bool Peek = false, long? PartialStart = null, long? PartialLength = null)
    {
        public bool NeedsContent => Kind is not (FetchKind.Uid or FetchKind.Flags or FetchKind.InternalDate or FetchKind.Size or FetchKind.ModSeq);
        /// <summary>Answered from the stored item, not from what the session keeps of the message (UID, FLAGS, MODSEQ).</summary>
        public bool NeedsItem => NeedsContent || Kind is FetchKind.InternalDate or FetchKind.Size;
        public bool SetsSeen => Kind is FetchKind.Rfc822 or FetchKind.Rfc822Text || (Kind is FetchKind.Section or FetchKind.Binary && !Peek);
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
            targets = targets.Where(t => t.Message.ModSeq > since).ToList();
            if (vanished)
            {
                var gone = (await ExpungedSinceAsync(view, since, cancellationToken))
                    .Where(uid => set.Contains(uid, view.UidNext - 1) && view.SequenceOf(uid) == 0).ToList(); // "*" reaches every UID ever given
                if (gone.Count > 0)
                    writer.Untagged($"VANISHED (EARLIER) {UidSet(gone)}");
            }
        }

        // \Seen is set before answering, so the FLAGS sent are the ones stored
        var markSeen = new HashSet<long>();
        if (!view.ReadOnly && view.Mailbox.Allows(FolderAction.SetSeen) && items.Any(i => i.SetsSeen))
        {
            var unseen = targets.Where(t => !t.Message.Expunged && !t.Message.Flags.HasFlag(MessageFlags.Seen)).Select(t => t.Message.Uid).ToList();
            if (unseen.Count > 0)
            {
                var result = await Store.SetFlagsAsync(view.FolderId, unseen, new FlagChange(FlagOperation.Add, MessageFlags.Seen, []), cancellationToken);
                view.TakeOwnFlagChanges(result.Changed);
                markSeen.UnionWith(result.Changed.Select(c => c.Uid));
            }
        }

        var expunged = await WriteFetchesAsync(targets, items, markSeen, cancellationToken);
        // RFC 2180 §4.1: what is left of messages another session expunged is not sent, the rest is, and the
        // command succeeds saying so (as Dovecot does); their EXPUNGE follows at the next point it may
        if (expunged)
        {
            completionCode = "EXPUNGEISSUED";
            return "completed; some messages were already expunged";
        }
        return null;
    }

    /// <summary>Messages whose stored items (and structure descriptions) one FETCH reads at a time.</summary>
    const int FetchBatch = 250;

    /// <summary>
    /// Keeps the description of content stored before descriptions were kept (or in an older format), so the
    /// next FETCH need not read it. Best effort: the answer was made from the content either way.
    /// </summary>
    async Task DescribeLateAsync(ItemInfo item, byte[] content, CancellationToken cancellationToken)
    {
        try
        {
            var shared = content.AsMemory(Math.Min(item.TraceHeaders.Length, content.Length));
            if (MessageStructure.Describe(shared) is { } description)
                await Store.SaveStructureAsync(item, description, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "Could not keep the structure of blob {Blob}", item.BlobId);
        }
    }

    /// <summary>
    /// The FETCH responses for <paramref name="targets"/>: <paramref name="markSeen"/> are the messages whose \Seen
    /// this command set. True when some of them were expunged by another session (and left out).
    /// </summary>
    async Task<bool> WriteFetchesAsync(IReadOnlyList<(int Seq, ViewMessage Message)> targets, List<FetchItem> items, HashSet<long> markSeen, CancellationToken cancellationToken)
    {
        // ENVELOPE, BODY and BODYSTRUCTURE alone are answered from the structure described at ingest,
        // a batch of messages per query, without opening their content.
        var needsContent = items.Any(i => i.NeedsContent);
        var needsItem = items.Any(i => i.NeedsItem);
        var describedOnly = needsContent && items.All(i => !i.NeedsContent || i.Kind is FetchKind.Envelope or FetchKind.Body or FetchKind.BodyStructure);
        // The message's own header and what is made of it alone (a client's list view): read up to the blank line only.
        var headerOnly = needsContent && !describedOnly && items.All(i => !i.NeedsContent || i.Kind is FetchKind.Envelope or FetchKind.Rfc822Header
            || (i.Kind == FetchKind.Section && (i.Section == "HEADER" || i.Section.StartsWith("HEADER.FIELDS", StringComparison.Ordinal))));
        // keywords that reached the view since the last FLAGS are announced before a FETCH carries them
        AnnounceNewKeywords();
        var expunged = false;
        var written = 0;
        var view = selected!;
        foreach (var batch in targets.Chunk(needsItem ? FetchBatch : Math.Max(targets.Count, 1)))
        {
            // sizes, dates and content: the header fields extracted at ingest are not read
            var stored = needsItem ? await view.LoadItemsAsync(Store, batch, cancellationToken, withFields: false) : null;
            var described = describedOnly
                ? await Store.GetStructuresAsync(stored!.Values, cancellationToken)
                : null;
            foreach (var (seq, message) in batch)
            {
                ItemInfo? info = null;
                // a message another session expunged is gone from the store before this session reports it
                if (message.Expunged || (stored is not null && !stored.TryGetValue(message.Uid, out info)))
                {
                    expunged = true;
                    continue;
                }
                MessageStructure? structure = null;
                if (described is not null && described.TryGetValue(info!.BlobId, out var description))
                    structure = MessageStructure.FromDescription(description, messageGlobal: imap4rev2);
                if (structure is null && needsContent)
                {
                    var content = headerOnly ? await ReadHeaderAsync(info!, cancellationToken) : await ReadContentAsync(info!, cancellationToken);
                    structure = MessageStructure.Parse(content, messageGlobal: imap4rev2);
                    if (described is not null)
                        await DescribeLateAsync(info!, content, cancellationToken);
                    // BINARY of an encoding we cannot undo refuses the whole command before anything is sent (RFC 3516)
                    foreach (var binary in items.Where(i => i.Kind is FetchKind.Binary or FetchKind.BinarySize))
                    {
                        if (!structure.TryGetBinarySize(binary.Section, out _, out var unknown) && unknown)
                            throw No("The content transfer encoding of that part is unknown", "UNKNOWN-CTE");
                    }
                }
                writer.Raw("* "u8).Number(seq).Raw(" FETCH ("u8);
                var first = true;
                foreach (var item in items)
                {
                    if (!first)
                        writer.Space();
                    first = false;
                    WriteFetchItem(item, message, info, structure);
                }
                if (markSeen.Contains(message.Uid))
                {
                    // the \Seen this FETCH set is reported; with CONDSTORE on, with its UID and MODSEQ (RFC 7162 §3.2.4)
                    if (!items.Any(i => i.Kind == FetchKind.Flags))
                    {
                        writer.Raw(" FLAGS ");
                        WriteFlagList(message);
                    }
                    if (condStore && !items.Any(i => i.Kind == FetchKind.Uid))
                        writer.Raw(" UID ").Number(message.Uid);
                    if (condStore && !items.Any(i => i.Kind == FetchKind.ModSeq))
                        writer.Raw(" MODSEQ (").Number(message.ModSeq).Raw(")");
                }
                writer.Raw(")"u8).EndLine();
                // a big answer goes out as it is made (every message's content, or every 256 short lines), so
                // the client reads the first lines while the rest are written
                if (structure is { HasContent: true } || ++written % 256 == 0)
                    await FlushIfLargeAsync(cancellationToken);
            }
            if (described is not null)
                await FlushIfLargeAsync(cancellationToken);
        }
        return expunged;
    }

    async Task<byte[]> ReadContentAsync(ItemInfo item, CancellationToken cancellationToken)
    {
        await using var stream = await Store.OpenContentAsync(item, cancellationToken);
        using var buffer = new MemoryStream(item.Size > 0 && item.Size < int.MaxValue ? (int)item.Size : 0);
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>
    /// The start of a message up to and including the blank line that ends its header (all of it when none
    /// does): the same HEADER, HEADER.FIELDS and ENVELOPE as the whole message, without reading the rest.
    /// </summary>
    async Task<byte[]> ReadHeaderAsync(ItemInfo item, CancellationToken cancellationToken)
    {
        await using var stream = await Store.OpenContentAsync(item, cancellationToken);
        var buffer = new byte[(int)Math.Clamp(item.Size, 1, 8192)];
        int length = 0, lineStart = 0, searched = 0;
        while (true)
        {
            // every line that starts before `length` is looked at once, and no octet is searched twice
            while (lineStart < length)
            {
                if (buffer[lineStart] == (byte)'\n')
                    return buffer[..(lineStart + 1)];
                if (buffer[lineStart] == (byte)'\r')
                {
                    if (lineStart + 1 == length)
                        break; // the next octet decides
                    if (buffer[lineStart + 1] == (byte)'\n')
                        return buffer[..(lineStart + 2)];
                }
                var from = Math.Max(lineStart, searched);
                var lf = buffer.AsSpan(from, length - from).IndexOf((byte)'\n');
                if (lf < 0)
                {
                    searched = length;
                    break;
                }
                lineStart = from + lf + 1;
            }
            if (length == buffer.Length)
                Array.Resize(ref buffer, buffer.Length * 2);
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
                return buffer[..length];
            length += read;
        }
    }

    /// <param name="stored">The stored item, when <see cref="FetchItem.NeedsItem"/>.</param>
    void WriteFetchItem(FetchItem item, ViewMessage message, ItemInfo? stored, MessageStructure? structure)
    {
        switch (item.Kind)
        {
            case FetchKind.Uid:
                writer.Raw("UID "u8).Number(message.Uid);
                break;
            case FetchKind.Flags:
                writer.Raw("FLAGS "u8);
                WriteFlagList(message);
                break;
            case FetchKind.InternalDate:
                writer.Raw("INTERNALDATE \"").Raw(FormatDateTime(stored!.ReceivedAt)).Raw("\"");
                break;
            case FetchKind.Size:
                writer.Raw("RFC822.SIZE ").Number(stored!.Size);
                break;
            case FetchKind.ModSeq:
                writer.Raw("MODSEQ ("u8).Number(message.ModSeq).Raw(")"u8);
                break;
            case FetchKind.Envelope:
                writer.Raw("ENVELOPE ");
                structure!.WriteEnvelope(writer);
                break;
            case FetchKind.Body:
                writer.Raw("BODY ");
                structure!.WriteBodyStructure(writer, extensible: false);
                break;
            case FetchKind.BodyStructure:
                writer.Raw("BODYSTRUCTURE ");
                structure!.WriteBodyStructure(writer, extensible: true);
                break;
            case FetchKind.Rfc822:
                writer.Raw("RFC822 ");
                WriteOctets(structure!.Message.Span);
                break;
            case FetchKind.Rfc822Header:
                writer.Raw("RFC822.HEADER ");
                WriteOctets(Section(structure!, "HEADER").Span);
                break;
            case FetchKind.Rfc822Text:
                writer.Raw("RFC822.TEXT ");
                WriteOctets(Section(structure!, "TEXT").Span);
                break;
            case FetchKind.Section:
                writer.Raw("BODY[").Raw(item.Section).Raw("]");
                WritePartial(item, Section(structure!, item.Section), binary: false);
                break;
            case FetchKind.Binary:
                structure!.TryGetBinary(item.Section, out var decoded, out _);
                writer.Raw("BINARY[").Raw(item.Section).Raw("]");
                WritePartial(item, decoded, binary: true);
                break;
            case FetchKind.BinarySize:
                structure!.TryGetBinarySize(item.Section, out var size, out _);
                writer.Raw("BINARY.SIZE[").Raw(item.Section).Raw("] ").Number(size);
                break;
        }
    }

    /// <summary>A section's content; a part the message does not have is the empty string, as Dovecot sends it.</summary>
    static ReadOnlyMemory<byte> Section(MessageStructure structure, string section) =>
        structure.TryGetSection(section, out var content) ? content : ReadOnlyMemory<byte>.Empty;

    void WritePartial(FetchItem item, ReadOnlyMemory<byte> content, bool binary)
    {
        if (item.PartialStart is { } start)
        {
            writer.Raw("<").Number(start).Raw(">");
            content = start >= content.Length ? ReadOnlyMemory<byte>.Empty : content.Slice((int)start, (int)Math.Min(item.PartialLength!.Value, content.Length - start));
        }
        writer.Space();
        if (binary && content.Span.Contains((byte)0))
            writer.Literal(content.Span, binary: true);
        else
            WriteOctets(content.Span);
    }

    /// <summary>Message octets as a literal; NUL, which a plain literal may not carry, goes out as 0x80, as Dovecot sends it.</summary>
    void WriteOctets(ReadOnlySpan<byte> content)
    {
        if (!content.Contains((byte)0))
        {
            writer.Literal(content);
            return;
        }
        var copy = content.ToArray();
        copy.AsSpan().Replace((byte)0, (byte)0x80);
        writer.Literal(copy);
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
                    return [new(FetchKind.Flags), new(FetchKind.InternalDate), new(FetchKind.Size), new(FetchKind.Envelope)];
                case "FULL":
                    return [new(FetchKind.Flags), new(FetchKind.InternalDate), new(FetchKind.Size), new(FetchKind.Envelope), new(FetchKind.Body)];
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
            case "ENVELOPE": return new(FetchKind.Envelope);
            case "BODY": return new(FetchKind.Body);
            case "BODYSTRUCTURE": return new(FetchKind.BodyStructure);
        }
        var open = upper.IndexOf('[', StringComparison.Ordinal);
        var close = upper.LastIndexOf(']');
        if (open < 0 || close < open)
            throw Bad($"Unknown fetch item {Printable(text)}");
        var name = upper[..open];
        if (name is not ("BODY" or "BODY.PEEK" or "BINARY" or "BINARY.PEEK" or "BINARY.SIZE"))
            throw Bad($"Unknown fetch item {Printable(text)}");
        var binary = name.StartsWith("BINARY", StringComparison.Ordinal);
        var section = binary ? BinaryPart(text[(open + 1)..close]) : NormalizeSection(text[(open + 1)..close]);
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
        if (name == "BINARY.SIZE")
            return start is null ? new FetchItem(FetchKind.BinarySize, section) : throw Bad("BINARY.SIZE takes no partial range");
        return new FetchItem(binary ? FetchKind.Binary : FetchKind.Section, section, Peek: name.EndsWith(".PEEK", StringComparison.Ordinal), start, length);
    }

    /// <summary>A section spec as responses echo it: keywords upper-case, header field names as given (RFC 9051 §7.5.2).</summary>
    static string NormalizeSection(string section)
    {
        var open = section.IndexOf('(', StringComparison.Ordinal);
        var head = (open < 0 ? section : section[..open]).ToUpperInvariant();
        if (head.Length > 0 && !head.All(c => char.IsAsciiDigit(c) || c is '.' or ' ' || char.IsAsciiLetterUpper(c)))
            throw Bad("Invalid section");
        if (open < 0)
            return head;
        if (!section.EndsWith(')'))
            throw Bad("Invalid header field list");
        var fields = section[(open + 1)..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0 || fields.Any(f => f.Any(c => c <= ' ' || c == ':' || c > '~')))
            throw Bad("Invalid header field list");
        return $"{head.TrimEnd()} ({string.Join(' ', fields.Select(f => f.ToUpperInvariant()))})";
    }

    /// <summary>BINARY takes a part number only: "", "1", "1.2".</summary>
    static string BinaryPart(string part) =>
        part.Length == 0 || part.Split('.').All(n => n.Length > 0 && n.All(char.IsAsciiDigit) && n[0] != '0')
            ? part : throw Bad("BINARY takes a part number");
}
