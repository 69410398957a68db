using Rookery.Imap.Protocol;

namespace Rookery.Imap.Mime;

/// <summary>Writes an envelope as IMAP FETCH sends it after "ENVELOPE ".</summary>
static class EnvelopeWriter
{
    /// <summary>Writes "(date subject from sender reply-to to cc bcc in-reply-to message-id)".</summary>
    public static void Write(this Envelope envelope, ImapWriter writer)
    {
        writer.Raw("("u8).NString(envelope.Date).Space().HumanNString(envelope.Subject).Space();
        WriteAddresses(writer, envelope.From);
        writer.Space();
        // RFC 9051 §7.5.2: Sender and Reply-To default to From when absent.
        WriteAddresses(writer, envelope.Sender.Count > 0 ? envelope.Sender : envelope.From);
        writer.Space();
        WriteAddresses(writer, envelope.ReplyTo.Count > 0 ? envelope.ReplyTo : envelope.From);
        writer.Space();
        WriteAddresses(writer, envelope.To);
        writer.Space();
        WriteAddresses(writer, envelope.Cc);
        writer.Space();
        WriteAddresses(writer, envelope.Bcc);
        writer.Space().NString(envelope.InReplyTo).Space().NString(envelope.MessageId).Raw(")"u8);
    }

    static void WriteAddresses(ImapWriter writer, IReadOnlyList<EnvelopeAddress> addresses)
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
