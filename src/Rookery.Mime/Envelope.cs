using System.Text;
using Rookery.Imap.Protocol;

namespace Rookery.Imap.Mime;

/// <summary>
/// A message's ENVELOPE (RFC 9051 §7.5.2). Values are the header text as the message has it, unfolded but
/// not RFC 2047-decoded: decoding is the client's job, and that is what Dovecot and other servers send.
/// </summary>
internal sealed class Envelope
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

    /// <summary>Writes "(date subject from sender reply-to to cc bcc in-reply-to message-id)".</summary>
    public void Write(ImapWriter writer)
    {
        writer.Raw("("u8).NString(date).Space().HumanNString(subject).Space();
        WriteAddresses(writer, from);
        writer.Space();
        // RFC 9051 §7.5.2: Sender and Reply-To default to From when absent.
        WriteAddresses(writer, sender.Count > 0 ? sender : from);
        writer.Space();
        WriteAddresses(writer, replyTo.Count > 0 ? replyTo : from);
        writer.Space();
        WriteAddresses(writer, to);
        writer.Space();
        WriteAddresses(writer, cc);
        writer.Space();
        WriteAddresses(writer, bcc);
        writer.Space().NString(inReplyTo).Space().NString(messageId).Raw(")"u8);
    }

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

    static void WriteAddresses(ImapWriter writer, List<EnvelopeAddress> addresses)
    {
        if (addresses.Count == 0)
        {
            writer.Raw("NIL"u8);
            return;
        }
        writer.Raw("("u8);
        foreach (var address in addresses)
        {
            writer.Raw("("u8).HumanNString(address.Name).Space().NString(address.Route).Space()
                .NString(address.Mailbox).Space().NString(address.Host).Raw(")"u8);
        }
        writer.Raw(")"u8);
    }
}
