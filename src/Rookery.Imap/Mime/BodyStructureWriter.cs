using Rookery.Imap.Protocol;

namespace Rookery.Imap.Mime;

/// <summary>Writes BODY and BODYSTRUCTURE (RFC 9051 §7.5.2) for a part tree.</summary>
internal readonly struct BodyStructureWriter(ImapWriter writer, ReadOnlyMemory<byte> message, bool extensible)
{
    static readonly byte[] DefaultCharset = "us-ascii"u8.ToArray();

    public void Write(BodyPart part)
    {
        writer.Raw("("u8);
        if (part.Kind == PartKind.Multipart)
            WriteMultipart(part);
        else
            WriteSinglePart(part);
        writer.Raw(")"u8);
    }

    void WriteMultipart(BodyPart part)
    {
        if (part.Children.Count == 0)
            WriteEmptyPart(); // a multipart must have a part (RFC 9051 body-type-mpart); say what we have: nothing
        foreach (var child in part.Children)
            Write(child);
        var content = part.Content;
        writer.Space().OctetString(content.Subtype);
        if (!extensible)
            return;
        writer.Space();
        WriteParameters(content.TypeParameters, defaultCharset: false);
        WriteDispositionLanguageLocation(content);
    }

    void WriteEmptyPart()
    {
        writer.Raw("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"u8);
        writer.Raw(extensible ? " NIL NIL NIL NIL)"u8 : ")"u8);
    }

    void WriteSinglePart(BodyPart part)
    {
        var content = part.Content;
        bool isText;
        if (part.Kind == PartKind.Message)
        {
            writer.Raw(content.TypeIs("message"u8, "global"u8) ? "\"message\" \"global\""u8 : "\"message\" \"rfc822\""u8);
            isText = false;
        }
        else if (IsUnparsedContainer(part))
        {
            // Its content was not looked into (limits, or a malformed multipart type): its real type would
            // promise a structure that is not there.
            writer.Raw("\"application\" \"octet-stream\""u8);
            isText = false;
        }
        else if (content.Type is null)
        {
            writer.Raw("\"text\" \"plain\""u8);
            isText = true;
        }
        else
        {
            // As the header writes them. (Dovecot lower-cases a plain 7-bit TEXT/PLAIN; US-ASCII message,
            // an artefact of its cache that no client depends on: types compare without case.)
            writer.OctetString(content.Type).Space().OctetString(content.Subtype);
            isText = content.TypeIs("text"u8);
        }

        writer.Space();
        WriteParameters(content.TypeParameters, defaultCharset: isText);
        writer.Space().NString(content.Id).Space().NString(content.Description).Space();
        if (content.TransferEncoding is null)
            writer.Raw("\"7bit\""u8);
        else
            writer.OctetString(content.TransferEncoding);
        writer.Space().Number(part.BodyLength);

        if (isText)
            writer.Space().Number(LineCount(part));
        else if (part.Kind == PartKind.Message)
        {
            var enclosed = part.Children[0];
            writer.Space();
            MessageStructure.EnvelopeOf(enclosed, message.Span).Write(writer);
            writer.Space();
            Write(enclosed);
            writer.Space().Number(LineCount(part));
        }

        if (!extensible)
            return;
        writer.Space().NString(content.Md5);
        WriteDispositionLanguageLocation(content);
    }

    static bool IsUnparsedContainer(BodyPart part)
    {
        if (part.Truncated)
            return true;
        var content = part.Content;
        return content.TypeIs("message"u8, "rfc822"u8) || content.TypeIs("multipart"u8);
    }

    /// <summary>Lines of the body: its line feeds, as servers count them.</summary>
    long LineCount(BodyPart part) => part.Lines ?? message.Span.Slice(part.BodyOffset, part.BodyLength).Count((byte)'\n');

    void WriteDispositionLanguageLocation(ContentFields content)
    {
        writer.Space();
        if (content.Disposition is null)
            writer.Raw("NIL"u8);
        else
        {
            writer.Raw("("u8).OctetString(content.Disposition).Space();
            WriteParameters(content.DispositionParameters, defaultCharset: false);
            writer.Raw(")"u8);
        }

        writer.Space();
        if (content.Languages is null)
            writer.Raw("NIL"u8);
        else
        {
            writer.Raw("("u8);
            for (var i = 0; i < content.Languages.Count; i++)
            {
                if (i > 0)
                    writer.Space();
                writer.OctetString(content.Languages[i]);
            }
            writer.Raw(")"u8);
        }

        writer.Space().NString(content.Location);
    }

    /// <summary>body-fld-param; a text part without a charset gets charset us-ascii, its RFC 2045 default.</summary>
    void WriteParameters(IReadOnlyList<MimeParameter> parameters, bool defaultCharset)
    {
        var addCharset = defaultCharset && !parameters.Any(p => System.Text.Ascii.EqualsIgnoreCase(p.Name, "charset"u8));
        if (parameters.Count == 0 && !addCharset)
        {
            writer.Raw("NIL"u8);
            return;
        }
        writer.Raw("("u8);
        for (var i = 0; i < parameters.Count; i++)
        {
            if (i > 0)
                writer.Space();
            writer.OctetString(parameters[i].Name).Space().OctetString(parameters[i].Value);
        }
        if (addCharset)
        {
            if (parameters.Count > 0)
                writer.Space();
            writer.Raw("\"charset\" "u8).OctetString(DefaultCharset);
        }
        writer.Raw(")"u8);
    }
}
