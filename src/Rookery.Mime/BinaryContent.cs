namespace Rookery.Mime;

/// <summary>
/// Builds BINARY content (RFC 3516): leaves decoded, everything between them (boundaries, headers of parts
/// that were not encoded) copied as it is.
/// </summary>
public ref struct BinaryContent(ReadOnlySpan<byte> message, OctetBuilder output)
{
    readonly ReadOnlySpan<byte> message = message;

    /// <summary>Whether some body was decoded; if none was, BINARY is the stored octets, headers untouched.</summary>
    public bool Converted { get; private set; }

    /// <summary>Appends the part (its header too when asked); false when some encoding inside is unknown.</summary>
    public bool TryAppend(BodyPart part, bool includeHeader)
    {
        var header = message.Slice(part.Offset, part.HeaderLength);
        var encoding = TransferDecoding.Of(header);
        if (encoding == TransferEncoding.Unknown)
            return false;
        var decodes = encoding is TransferEncoding.QuotedPrintable or TransferEncoding.Base64;
        if (includeHeader)
        {
            if (decodes)
                AppendHeaderSayingBinary(header);
            else
                output.Append(header);
        }

        if (part.Children.Count > 0)
        {
            var position = part.BodyOffset;
            foreach (var child in part.Children)
            {
                output.Append(message[position..child.Offset]);
                if (!TryAppend(child, includeHeader: true))
                    return false;
                position = child.End;
            }
            output.Append(message[position..part.End]);
            return true;
        }

        var body = message.Slice(part.BodyOffset, part.BodyLength);
        Converted |= decodes && !body.IsEmpty;
        if (encoding == TransferEncoding.QuotedPrintable)
            TransferDecoding.DecodeQuotedPrintable(body, output);
        else if (encoding == TransferEncoding.Base64)
            TransferDecoding.DecodeBase64(body, output);
        else
            output.Append(body);
        return true;
    }

    /// <summary>
    /// The header without its Content-Transfer-Encoding fields, and one saying "binary" before the blank line
    /// (a header cut short by a boundary has none, and gets none).
    /// </summary>
    readonly void AppendHeaderSayingBinary(ReadOnlySpan<byte> header)
    {
        var end = 0;
        foreach (var field in HeaderFields.Of(header))
        {
            end = field.End;
            if (!field.NameIs(header, "Content-Transfer-Encoding"u8))
                output.Append(field.Raw(header));
        }
        if (end < header.Length)
            output.Append("Content-Transfer-Encoding: binary\r\n"u8);
        output.Append(header[end..]);
    }
}
