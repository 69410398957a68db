using Rookery.Imap.Mime;
using Rookery.Imap.Protocol;

namespace Rookery.Imap;

/// <summary>
/// What FETCH writes from a message's structure (RFC 9051 §6.4.5 and §7.5.2, RFC 3516): ENVELOPE, BODY and
/// BODYSTRUCTURE, BODY[section] and BINARY[part], with sections named in IMAP's syntax.
/// </summary>
public static class ImapStructure
{
    /// <summary>Writes the envelope as FETCH sends it after "ENVELOPE ": "(date subject from … message-id)".</summary>
    public static void WriteEnvelope(this MessageStructure structure, ImapWriter writer) => structure.Envelope.Write(writer);

    /// <summary>Writes BODYSTRUCTURE (extensible) or BODY (not), parenthesised, as FETCH sends it after the item name.</summary>
    public static void WriteBodyStructure(this MessageStructure structure, ImapWriter writer, bool extensible) =>
        new BodyStructureWriter(writer, structure.Message, extensible).Write(structure.Root);

    /// <summary>
    /// The content of BODY[<paramref name="section"/>], given as it stands between the brackets: "",
    /// "HEADER", "TEXT", "HEADER.FIELDS (From To)", "HEADER.FIELDS.NOT (Subject)", "1", "1.2", "1.2.MIME",
    /// "2.HEADER", "2.TEXT"… Partial fetches (&lt;origin.count&gt;) are the caller's: this returns the whole section.
    /// </summary>
    /// <returns>
    /// False when the section is not valid syntax or names nothing in this message (a missing part, or
    /// HEADER/TEXT of a part that is not message/rfc822). FETCH then sends an empty string, as Dovecot does;
    /// RFC 9051 leaves it open.
    /// </returns>
    public static bool TryGetSection(this MessageStructure structure, string section, out ReadOnlyMemory<byte> content)
    {
        content = default;
        structure.RequireContent();
        if (section.Length == 0)
        {
            content = structure.Message; // the whole message: no need for its parts
            return true;
        }
        if (!SectionSpec.TryParse(section, out var spec) || structure.Find(spec.Part) is not { } part)
            return false;
        if (spec.Text is SectionText.Content)
        {
            content = spec.Part.Length == 0 ? structure.Message : structure.Body(part);
            return true;
        }
        if (spec.Text is SectionText.Mime)
        {
            content = structure.Header(part);
            return true;
        }
        if (spec.Part.Length > 0)
        {
            // HEADER, TEXT and HEADER.FIELDS of a part are those of the message a message/rfc822 part holds.
            if (part.Kind != PartKind.Message)
                return false;
            part = part.Children[0];
        }
        content = spec.Text switch
        {
            SectionText.Header => structure.Header(part),
            SectionText.Text => structure.Body(part),
            _ => structure.FilterHeader(part, spec.Fields, exclude: spec.Text == SectionText.HeaderFieldsNot, addMissingBlankLine: spec.Part.Length == 0),
        };
        return true;
    }

    /// <summary>
    /// The content of BINARY[<paramref name="part"/>] (RFC 3516): see <see cref="MessageStructure.TryDecode"/>.
    /// </summary>
    /// <returns>False when the part does not exist or, with <paramref name="unknownEncoding"/> set, when an
    /// encoding is not one we can undo (FETCH answers NO [UNKNOWN-CTE]).</returns>
    public static bool TryGetBinary(this MessageStructure structure, string part, out byte[] decoded, out bool unknownEncoding)
    {
        decoded = [];
        unknownEncoding = false;
        structure.RequireContent();
        if (!SectionSpec.TryParsePart(part, out var path, out var rest) || !rest.IsEmpty)
            return false;
        return structure.TryDecode(path, out decoded, out unknownEncoding);
    }

    /// <summary>BINARY.SIZE[<paramref name="part"/>]: the length of what <see cref="TryGetBinary"/> returns.</summary>
    public static bool TryGetBinarySize(this MessageStructure structure, string part, out long size, out bool unknownEncoding)
    {
        var found = structure.TryGetBinary(part, out var decoded, out unknownEncoding);
        size = decoded.Length;
        return found;
    }
}
