using System.Text;

namespace Rookery.Mime;

/// <summary>
/// A message's envelope: the fields IMAP's ENVELOPE (RFC 9051 §7.5.2) reports. Values are the header text as the
/// message has it, unfolded but not RFC 2047-decoded: decoding is the reader's job (IMAP sends them so, as Dovecot does).
/// </summary>
public sealed class Envelope
{
    byte[]? date;
    byte[]? subject;
    byte[]? inReplyTo;
    byte[]? messageId;
    readonly List<EnvelopeAddress> from = [];
    readonly List<EnvelopeAddress> sender = [];
    readonly List<EnvelopeAddress> replyTo = [];
    readonly List<EnvelopeAddress> to = [];
    readonly List<EnvelopeAddress> cc = [];
    readonly List<EnvelopeAddress> bcc = [];

    /// <summary>
    /// Reads the envelope fields of a header block. When a field repeats, the last Date, Subject,
    /// In-Reply-To and Message-ID count, and address fields add up, as if they were one comma-separated
    /// field: a client that checks the first From must not be shown another.
    /// </summary>
    public static Envelope Parse(ReadOnlySpan<byte> header)
    {
        var envelope = new Envelope();
        foreach (var field in HeaderFields.Of(header))
        {
            if (field.HasName)
                envelope.Read(field.Name(header), field.Value(header));
        }
        return envelope;
    }

    void Read(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (Ascii.EqualsIgnoreCase(name, "Date"u8))
            date = HeaderFields.Unfold(value);
        else if (Ascii.EqualsIgnoreCase(name, "Subject"u8))
            subject = HeaderFields.Unfold(value);
        else if (Ascii.EqualsIgnoreCase(name, "In-Reply-To"u8))
            inReplyTo = HeaderFields.Unfold(value);
        else if (Ascii.EqualsIgnoreCase(name, "Message-ID"u8))
            messageId = HeaderFields.Unfold(value);
        else if (AddressList(name) is { } list)
            AddressListParser.Parse(value, list);
    }

    List<EnvelopeAddress>? AddressList(ReadOnlySpan<byte> name) =>
        Ascii.EqualsIgnoreCase(name, "From"u8) ? from
        : Ascii.EqualsIgnoreCase(name, "Sender"u8) ? sender
        : Ascii.EqualsIgnoreCase(name, "Reply-To"u8) ? replyTo
        : Ascii.EqualsIgnoreCase(name, "To"u8) ? to
        : Ascii.EqualsIgnoreCase(name, "Cc"u8) ? cc
        : Ascii.EqualsIgnoreCase(name, "Bcc"u8) ? bcc
        : null;

    public byte[]? Date => date;
    public byte[]? Subject => subject;
    public byte[]? InReplyTo => inReplyTo;
    public byte[]? MessageId => messageId;
    public IReadOnlyList<EnvelopeAddress> From => from;
    public IReadOnlyList<EnvelopeAddress> Sender => sender;
    public IReadOnlyList<EnvelopeAddress> ReplyTo => replyTo;
    public IReadOnlyList<EnvelopeAddress> To => to;
    public IReadOnlyList<EnvelopeAddress> Cc => cc;
    public IReadOnlyList<EnvelopeAddress> Bcc => bcc;

    /// <summary>Writes the fields as read, for a stored description (<see cref="StructureDescription"/>).</summary>
    public void Encode(StructureDescription.Encoder encoder)
    {
        encoder.Octets(date).Octets(subject).Octets(inReplyTo).Octets(messageId);
        foreach (var list in (ReadOnlySpan<List<EnvelopeAddress>>)[from, sender, replyTo, to, cc, bcc])
        {
            encoder.Number(list.Count);
            foreach (var address in list)
                encoder.Octets(address.Name).Octets(address.Route).Octets(address.Mailbox).Octets(address.Host);
        }
    }

    public static Envelope Decode(ref StructureDescription.Decoder decoder)
    {
        var envelope = new Envelope
        {
            date = decoder.Octets(),
            subject = decoder.Octets(),
            inReplyTo = decoder.Octets(),
            messageId = decoder.Octets(),
        };
        foreach (var list in (ReadOnlySpan<List<EnvelopeAddress>>)[envelope.from, envelope.sender, envelope.replyTo, envelope.to, envelope.cc, envelope.bcc])
        {
            var count = decoder.Count();
            for (var i = 0; i < count; i++)
                list.Add(new EnvelopeAddress(decoder.Octets(), decoder.Octets(), decoder.Octets(), decoder.Octets()));
        }
        return envelope;
    }
}
