using System.Buffers;

namespace Rookery.Mime;

/// <summary>
/// The compact form of a message's part tree that the store keeps from ingest (message_structures), so FETCH
/// ENVELOPE, BODY and BODYSTRUCTURE answer without reading the message: every value those items write, and no
/// offsets, so the trace headers one copy has in front of the shared content change nothing.
/// </summary>
/// <remarks>
/// Layout: a version byte, the number of trees (1, or 2 when message/global parts make IMAP4rev1 and IMAP4rev2
/// see different trees), then each tree: the root's envelope and the root part. A part is its kind (high bit:
/// truncated), body length, line count (of every part but a multipart, so a writer never counts lines in
/// octets it does not have), Content-* fields, for a message part the enclosed message's envelope, then its
/// children. Numbers are unsigned LEB128; an octet string is its length
/// plus one, 0 meaning NIL. A description of another version is not read: the caller parses the message again
/// and stores a new one.
/// </remarks>
public static class StructureDescription
{
    public const byte Version = 1;

    public static byte[] Encode(MessageStructure imap4rev1, MessageStructure? imap4rev2)
    {
        var encoder = new Encoder();
        encoder.Byte(Version).Byte(imap4rev2 is null ? (byte)1 : (byte)2);
        EncodeTree(encoder, imap4rev1);
        if (imap4rev2 is not null)
            EncodeTree(encoder, imap4rev2);
        return encoder.ToArray();
    }

    /// <summary>The tree for an IMAP4rev1 or IMAP4rev2 session; null when the description is of another version or damaged.</summary>
    public static BodyPart? Decode(ReadOnlySpan<byte> description, bool messageGlobal)
    {
        try
        {
            var decoder = new Decoder(description);
            if (decoder.Byte() != Version)
                return null;
            var trees = decoder.Byte();
            if (trees is not (1 or 2))
                return null;
            var root = DecodeTree(ref decoder);
            if (trees == 2)
            {
                var imap4rev2 = DecodeTree(ref decoder);
                if (messageGlobal)
                    root = imap4rev2;
            }
            return decoder.AtEnd ? root : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    static void EncodeTree(Encoder encoder, MessageStructure structure)
    {
        var message = structure.Message.Span;
        MessageStructure.EnvelopeOf(structure.Root, message).Encode(encoder);
        EncodePart(encoder, structure.Root, message);
    }

    static BodyPart DecodeTree(ref Decoder decoder)
    {
        var envelope = Envelope.Decode(ref decoder);
        var root = DecodePart(ref decoder, depth: 0);
        root.Envelope = envelope;
        return root;
    }

    static void EncodePart(Encoder encoder, BodyPart part, ReadOnlySpan<byte> message)
    {
        encoder.Byte((byte)((byte)part.Kind | (part.Truncated ? 0x80 : 0))).Number(part.BodyLength);
        if (part.Kind != PartKind.Multipart)
            encoder.Number(part.Lines ?? message.Slice(part.BodyOffset, part.BodyLength).Count((byte)'\n'));
        var content = part.Content;
        encoder.Octets(content.Type).Octets(content.Subtype);
        EncodeParameters(encoder, content.TypeParameters);
        encoder.Octets(content.TransferEncoding).Octets(content.Id).Octets(content.Description).Octets(content.Md5).Octets(content.Disposition);
        EncodeParameters(encoder, content.DispositionParameters);
        if (content.Languages is null)
            encoder.Number(0);
        else
        {
            encoder.Number(content.Languages.Count + 1L);
            foreach (var language in content.Languages)
                encoder.Octets(language);
        }
        encoder.Octets(content.Location);
        if (part.Kind == PartKind.Message)
            MessageStructure.EnvelopeOf(part.Children[0], message).Encode(encoder);
        encoder.Number(part.Children.Count);
        foreach (var child in part.Children)
            EncodePart(encoder, child, message);
    }

    static BodyPart DecodePart(ref Decoder decoder, int depth)
    {
        if (depth > 200)
            throw new FormatException("parts nest too deep");
        var kindAndFlags = decoder.Byte();
        var kind = (PartKind)(kindAndFlags & 0x7f);
        if (kind is not (PartKind.Basic or PartKind.Text or PartKind.Multipart or PartKind.Message))
            throw new FormatException("unknown part kind");
        var bodyLength = decoder.Number();
        var part = new BodyPart(0)
        {
            Kind = kind,
            Truncated = (kindAndFlags & 0x80) != 0,
            BodyLength = bodyLength <= int.MaxValue ? (int)bodyLength : throw new FormatException("a body length is out of range"),
        };
        if (kind != PartKind.Multipart)
            part.Lines = decoder.Number();
        var content = new ContentFields
        {
            Type = decoder.Octets(),
            Subtype = decoder.Octets() ?? [],
            TypeParameters = DecodeParameters(ref decoder),
            TransferEncoding = decoder.Octets(),
            Id = decoder.Octets(),
            Description = decoder.Octets(),
            Md5 = decoder.Octets(),
            Disposition = decoder.Octets(),
            DispositionParameters = DecodeParameters(ref decoder),
        };
        var languages = decoder.Count();
        if (languages > 0)
        {
            var list = new List<byte[]>(languages - 1);
            for (var i = 1; i < languages; i++)
                list.Add(decoder.Octets() ?? []);
            content.Languages = list;
        }
        content.Location = decoder.Octets();
        part.Content = content;
        Envelope? enclosed = kind == PartKind.Message ? Envelope.Decode(ref decoder) : null;
        var children = decoder.Count();
        if (kind == PartKind.Message ? children != 1 : kind != PartKind.Multipart && children != 0)
            throw new FormatException("a part has children its kind cannot have");
        for (var i = 0; i < children; i++)
            part.Children.Add(DecodePart(ref decoder, depth + 1));
        if (enclosed is not null)
            part.Children[0].Envelope = enclosed;
        return part;
    }

    static void EncodeParameters(Encoder encoder, IReadOnlyList<MimeParameter> parameters)
    {
        encoder.Number(parameters.Count);
        foreach (var parameter in parameters)
            encoder.Octets(parameter.Name).Octets(parameter.Value);
    }

    static List<MimeParameter> DecodeParameters(ref Decoder decoder)
    {
        var count = decoder.Count();
        var parameters = new List<MimeParameter>(count);
        for (var i = 0; i < count; i++)
            parameters.Add(new MimeParameter(decoder.Octets() ?? [], decoder.Octets() ?? []));
        return parameters;
    }

    public sealed class Encoder
    {
        readonly ArrayBufferWriter<byte> output = new(256);

        public Encoder Byte(byte value)
        {
            output.GetSpan(1)[0] = value;
            output.Advance(1);
            return this;
        }

        public Encoder Number(long value)
        {
            var n = (ulong)value;
            while (n >= 0x80)
            {
                Byte((byte)(n | 0x80));
                n >>= 7;
            }
            return Byte((byte)n);
        }

        public Encoder Octets(ReadOnlySpan<byte> value, bool isNull)
        {
            if (isNull)
                return Number(0);
            Number(value.Length + 1L);
            output.Write(value);
            return this;
        }

        public Encoder Octets(byte[]? value) => Octets(value, value is null);

        public byte[] ToArray() => output.WrittenSpan.ToArray();
    }

    public ref struct Decoder(ReadOnlySpan<byte> input)
    {
        readonly ReadOnlySpan<byte> input = input;
        int position;

        public readonly bool AtEnd => position == input.Length;

        public byte Byte() => position < input.Length ? input[position++] : throw new FormatException("the description ends early");

        public long Number()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                    return value <= long.MaxValue ? (long)value : throw new FormatException("a number is out of range");
            }
            throw new FormatException("a number is too long");
        }

        /// <summary>A count of things still to come, each at least one octet long: never more than what is left.</summary>
        public int Count()
        {
            var count = Number();
            return count <= input.Length - position + 1 ? (int)count : throw new FormatException("a count is larger than the description");
        }

        public byte[]? Octets()
        {
            var length = Number();
            if (length == 0)
                return null;
            if (length - 1 > input.Length - position)
                throw new FormatException("an octet string runs past the end");
            var value = input.Slice(position, (int)(length - 1)).ToArray();
            position += (int)(length - 1);
            return value;
        }
    }
}
