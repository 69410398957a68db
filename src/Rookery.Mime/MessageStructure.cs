using System.Text;

namespace Rookery.Mime;

/// <summary>
/// A message's MIME part tree over its raw octets: the envelope, every part's Content-* fields, sizes and line
/// counts, headers and bodies as slices of the octets, bodies with their transfer encoding undone, and the compact
/// description the store keeps from ingest. Parse once per message; parsing never fails, and parts are slices of
/// the raw octets, so what a reader takes adds up to what is stored. IMAP writes ENVELOPE, BODYSTRUCTURE,
/// BODY[section] and BINARY[part] from it.
/// </summary>
/// <remarks>
/// Sizes and sections are the stored octets as they are. The store keeps messages with CRLF line ends
/// (delivery normalises them); for a message with bare LFs, sizes count the LFs as stored, where Dovecot
/// would count and send CRLF. Sections may contain NUL octets: the FETCH handler sends those as literal8 or
/// replaces NUL with 0x80, as Dovecot does. Reading a structure from several threads is safe.
/// </remarks>
public sealed class MessageStructure
{
    readonly ReadOnlyMemory<byte> message;
    /// <summary>The part tree; null until first needed (a FETCH of the whole message never needs it).</summary>
    BodyPart? root;

    MessageStructure(ReadOnlyMemory<byte> message, BodyPart? root, bool messageGlobal, bool hasContent = true)
    {
        this.message = message;
        this.root = root;
        MessageGlobal = messageGlobal;
        HasContent = hasContent;
    }

    /// <summary>The raw message the structure describes (not copied); empty for a structure read from a description.</summary>
    public ReadOnlyMemory<byte> Message => message;

    /// <summary>
    /// False for a structure read from a stored description (<see cref="FromDescription"/>): it writes ENVELOPE,
    /// BODY and BODYSTRUCTURE, and has no octets for sections.
    /// </summary>
    public bool HasContent { get; }

    /// <summary>Whether message/global parts were read as messages (IMAP4rev2).</summary>
    public bool MessageGlobal { get; }

    /// <summary>The root part (the message itself).</summary>
    public BodyPart Root => root ??= ParseTree(message.Span, MessageGlobal);

    /// <summary>The structure of a message, parsed when first asked for; never throws, whatever the octets.</summary>
    /// <param name="messageGlobal">Whether message/global parts hold a message (IMAP4rev2) or are opaque (IMAP4rev1).</param>
    public static MessageStructure Parse(ReadOnlyMemory<byte> message, bool messageGlobal = false) => new(message, null, messageGlobal);

    static BodyPart ParseTree(ReadOnlySpan<byte> message, bool messageGlobal)
    {
        try
        {
            return PartTreeParser.Parse(message, messageGlobal);
        }
        catch (Exception)
        {
            // Not expected (the parser is tested on broken and fuzzed mail), but FETCH must answer anyway:
            // the raw octets are the truth, so fall back to one text/plain part holding them all.
            return OnePart(message);
        }
    }

    /// <summary>
    /// The compact, versioned description the store keeps from ingest so ENVELOPE, BODY and BODYSTRUCTURE
    /// need not read the message again; it holds both the IMAP4rev1 and the IMAP4rev2 view when message/global
    /// parts make them differ. Give it the content without per-copy trace headers: they change nothing here.
    /// Null only if describing failed, which is not expected: FETCH then parses the message as before.
    /// </summary>
    public static byte[]? Describe(ReadOnlyMemory<byte> message)
    {
        try
        {
            var imap4rev1 = Parse(message);
            var imap4rev2 = HasMessageGlobal(imap4rev1.Root) ? Parse(message, messageGlobal: true) : null;
            return StructureDescription.Encode(imap4rev1, imap4rev2);
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>A structure that answers ENVELOPE, BODY and BODYSTRUCTURE from a description; null when it is of another version or damaged.</summary>
    public static MessageStructure? FromDescription(ReadOnlySpan<byte> description, bool messageGlobal = false) =>
        StructureDescription.Decode(description, messageGlobal) is { } root ? new MessageStructure(ReadOnlyMemory<byte>.Empty, root, messageGlobal, hasContent: false) : null;

    static bool HasMessageGlobal(BodyPart part)
    {
        if (part.Content.TypeIs("message"u8, "global"u8))
            return true;
        foreach (var child in part.Children)
        {
            if (HasMessageGlobal(child))
                return true;
        }
        return false;
    }

    /// <summary>Reads the whole stream and parses it.</summary>
    public static async Task<MessageStructure> ParseAsync(Stream message, CancellationToken cancellationToken)
    {
        using var buffer = message.CanSeek ? new MemoryStream((int)Math.Clamp(message.Length - message.Position, 0, int.MaxValue)) : new MemoryStream();
        await message.CopyToAsync(buffer, cancellationToken);
        return Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    /// <summary>The envelope of the message (<see cref="Root"/>) or of the message a message/rfc822 part holds.</summary>
    public Envelope Envelope => EnvelopeOf(Root, message.Span);

    /// <summary>
    /// The body of a part with its Content-Transfer-Encoding undone (RFC 3516's BINARY). For the whole message
    /// (an empty path), a multipart or a message/rfc822 part, every leaf inside is decoded and the headers of
    /// decoded parts say "Content-Transfer-Encoding: binary".
    /// </summary>
    /// <returns>False when the part does not exist or, with <paramref name="unknownEncoding"/> set, when an
    /// encoding is not one we can undo.</returns>
    public bool TryDecode(int[] path, out byte[] decoded, out bool unknownEncoding)
    {
        decoded = [];
        unknownEncoding = false;
        RequireContent();
        if (Find(path) is not { } found)
            return false;
        var includeHeader = path.Length == 0;
        var output = new OctetBuilder(found.BodyLength);
        var binary = new BinaryContent(message.Span, output);
        if (!binary.TryAppend(found, includeHeader))
        {
            unknownEncoding = true;
            return false;
        }
        // Nothing needed decoding: the stored octets are the answer, headers and all, as Dovecot sends them.
        decoded = binary.Converted ? output.ToArray() : (includeHeader ? message : Body(found)).ToArray();
        return true;
    }

    /// <summary>Throws when the structure was read from a description, which has no octets to slice.</summary>
    public void RequireContent()
    {
        if (!HasContent)
            throw new InvalidOperationException("a structure read from a description has no content; parse the message for sections");
    }

    public static Envelope EnvelopeOf(BodyPart part, ReadOnlySpan<byte> message)
    {
        if (part.Envelope is { } envelope)
            return envelope;
        try
        {
            envelope = Envelope.Parse(message.Slice(part.Offset, part.HeaderLength));
        }
        catch (Exception)
        {
            envelope = new Envelope(); // as for Parse: not expected, and an empty envelope beats a failed FETCH
        }
        return part.Envelope = envelope;
    }

    static BodyPart OnePart(ReadOnlySpan<byte> message)
    {
        var blankLine = message.IndexOf("\r\n\r\n"u8);
        var headerLength = blankLine < 0 ? message.Length : blankLine + 4;
        return new BodyPart(0) { HeaderLength = headerLength, BodyLength = message.Length - headerLength };
    }

    /// <summary>
    /// The part a section-part number names. Part 1 of a non-multipart is its body; a number below a
    /// message/rfc822 part counts the parts of the message it holds.
    /// </summary>
    public BodyPart? Find(int[] path)
    {
        var part = Root;
        for (var i = 0; i < path.Length; i++)
        {
            var isLast = i == path.Length - 1;
            if (part.Kind == PartKind.Multipart)
            {
                if (path[i] > part.Children.Count)
                    return null;
                part = part.Children[path[i] - 1];
            }
            else if (path[i] != 1 || (!isLast && part.Kind != PartKind.Message))
                return null;
            if (!isLast && part.Kind == PartKind.Message)
                part = part.Children[0];
        }
        return part;
    }

    /// <summary>A part's header, blank line included.</summary>
    public ReadOnlyMemory<byte> Header(BodyPart part) => message.Slice(part.Offset, part.HeaderLength);

    /// <summary>A part's body, as stored.</summary>
    public ReadOnlyMemory<byte> Body(BodyPart part) => message.Slice(part.BodyOffset, part.BodyLength);

    /// <summary>
    /// HEADER.FIELDS[.NOT]: the matching fields in message order (names compared without case), then the
    /// blank line that ends the header. A header cut short by a boundary still reads as a whole header, so
    /// it gets a blank line; one cut short by the end of the message does not, except in the message's
    /// own HEADER.FIELDS. That is what Dovecot sends, except that for such a cut header Dovecot reads on past
    /// the boundary into the next part; this stops at the part's end.
    /// </summary>
    public byte[] FilterHeader(BodyPart part, byte[][] names, bool exclude, bool addMissingBlankLine)
    {
        var header = Header(part).Span;
        var output = new OctetBuilder(Math.Min(header.Length, 256));
        var end = 0;
        foreach (var field in HeaderFields.Of(header))
        {
            end = field.End;
            if (IsNamed(header, field, names) != exclude)
                output.Append(field.Raw(header));
        }
        if (end < header.Length)
            output.Append(header[end..]);
        else if (part.BodyOffset < message.Length || (!exclude && addMissingBlankLine))
            output.Append("\r\n"u8);
        return output.ToArray();
    }

    static bool IsNamed(ReadOnlySpan<byte> header, HeaderField field, byte[][] names)
    {
        if (!field.HasName)
            return false;
        foreach (var name in names)
        {
            if (field.NameIs(header, name))
                return true;
        }
        return false;
    }
}
