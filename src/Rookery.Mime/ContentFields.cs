using System.Text;

namespace Rookery.Mime;

/// <summary>The Content-* fields of one MIME part, parsed for BODYSTRUCTURE.</summary>
public sealed class ContentFields
{
    /// <summary>What a part without MIME fields has: everything absent, so BODYSTRUCTURE writes the defaults.</summary>
    public static readonly ContentFields None = new();

    /// <summary>The main type as written; null without a Content-Type field, empty when the field cannot be read.</summary>
    public byte[]? Type { get; internal set; }

    /// <summary>The subtype as written; empty when there is none.</summary>
    public byte[] Subtype { get; internal set; } = [];

    /// <summary>Whether type/subtype read cleanly; only then are parameters (and so a boundary) taken from the field.</summary>
    public bool TypeIsWellFormed { get; internal set; }

    public IReadOnlyList<MimeParameter> TypeParameters { get; internal set; } = [];

    public byte[]? TransferEncoding { get; internal set; }

    public byte[]? Id { get; internal set; }

    public byte[]? Description { get; internal set; }

    public byte[]? Md5 { get; internal set; }

    public byte[]? Disposition { get; internal set; }

    public IReadOnlyList<MimeParameter> DispositionParameters { get; internal set; } = [];

    public IReadOnlyList<byte[]>? Languages { get; internal set; }

    public byte[]? Location { get; internal set; }

    public bool TypeIs(ReadOnlySpan<byte> type) => Type is not null && Ascii.EqualsIgnoreCase(Type, type);

    public bool TypeIs(ReadOnlySpan<byte> type, ReadOnlySpan<byte> subtype) => TypeIs(type) && Ascii.EqualsIgnoreCase(Subtype, subtype);

    /// <summary>
    /// Reads the Content-* fields of a header block. They count only in a MIME part: a part of a multipart,
    /// or a message with MIME-Version or Content-Type (RFC 2045 §4 asks for MIME-Version; mail without it but
    /// with Content-Type is common enough that every server takes the Content-Type).
    /// </summary>
    public static ContentFields Parse(ReadOnlySpan<byte> header, bool isMultipartChild)
    {
        var fields = new ContentFields();
        var isMime = isMultipartChild;
        foreach (var field in HeaderFields.Of(header))
        {
            var name = field.Name(header);
            if (Ascii.EqualsIgnoreCase(name, "MIME-Version"u8))
                isMime = true;
            else if (name.Length > 8 && Ascii.EqualsIgnoreCase(name[..8], "Content-"u8))
                fields.Read(name[8..], field.Value(header));
        }
        return isMime || fields.Type is not null ? fields : None;
    }

    /// <summary>The boundary of a multipart, at most 80 octets as RFC 2046 allows (longer ones are cut, not refused).</summary>
    public byte[]? Boundary()
    {
        if (!TypeIsWellFormed)
            return null;
        foreach (var parameter in TypeParameters)
        {
            if (Ascii.EqualsIgnoreCase(parameter.Name, "boundary"u8))
                return parameter.Value.Length > 80 ? parameter.Value[..80] : parameter.Value;
        }
        return null;
    }

    // The first occurrence of each field counts; a later duplicate does not override it. Transfer-Encoding
    // and Language count from the first one that reads; Disposition until one with parameters was read
    // (Dovecot's rules, kept so a duplicated field gives the same BODYSTRUCTURE).
    void Read(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (Ascii.EqualsIgnoreCase(name, "Type"u8))
        {
            if (Type is null)
                ReadType(value);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            TransferEncoding ??= ReadTransferEncoding(value);
        else if (Ascii.EqualsIgnoreCase(name, "ID"u8))
            Id ??= HeaderFields.Unfold(value);
        else if (Ascii.EqualsIgnoreCase(name, "Description"u8))
            Description ??= HeaderFields.Unfold(value);
        else if (Ascii.EqualsIgnoreCase(name, "MD5"u8))
            Md5 ??= HeaderFields.Unfold(value);
        else if (Ascii.EqualsIgnoreCase(name, "Location"u8))
            Location ??= HeaderFields.Unfold(value);
        else if (Ascii.EqualsIgnoreCase(name, "Language"u8))
            Languages ??= ReadLanguages(value);
        else if (Ascii.EqualsIgnoreCase(name, "Disposition"u8))
        {
            if (DispositionParameters.Count == 0)
                ReadDisposition(value);
        }
    }

    void ReadType(ReadOnlySpan<byte> value)
    {
        var reader = new Rfc822Reader(value);
        var text = new OctetBuilder(32);
        var scan = ReadTypeAndSubtype(ref reader, text);
        var full = text.Span;
        var slash = full.IndexOf((byte)'/');
        Type = slash < 0 ? full.ToArray() : full[..slash].ToArray();
        Subtype = slash < 0 ? [] : full[(slash + 1)..].ToArray();
        TypeIsWellFormed = scan != Scan.Invalid;
        if (TypeIsWellFormed)
            TypeParameters = ContentParameters.Read(ref reader);
    }

    /// <summary>
    /// type "/" subtype, followed by ";" or the end. When malformed, what was read is thrown away, except a
    /// type that ends the value ("text" alone stays "text", with no subtype).
    /// </summary>
    static Scan ReadTypeAndSubtype(ref Rfc822Reader reader, OctetBuilder text)
    {
        if (reader.SkipCfws() != Scan.More)
            return Scan.Invalid;
        if (reader.ReadMimeToken(text) != Scan.More || text.Length == 0)
            return Scan.Invalid;
        if (reader.Current != (byte)'/')
        {
            text.Clear();
            return Scan.Invalid;
        }
        reader.Advance();
        if (reader.SkipCfws() != Scan.More)
        {
            text.Clear();
            return Scan.Invalid;
        }
        text.Append((byte)'/');
        var subtypeStart = text.Length;
        var scan = reader.ReadMimeToken(text);
        if (scan == Scan.Invalid || text.Length == subtypeStart || (!reader.AtEnd && reader.Current != (byte)';'))
        {
            text.Clear();
            return Scan.Invalid;
        }
        return scan;
    }

    /// <summary>The mechanism token; null when the field holds anything else (then BODYSTRUCTURE says 7bit).</summary>
    static byte[]? ReadTransferEncoding(ReadOnlySpan<byte> value)
    {
        var reader = new Rfc822Reader(value);
        reader.SkipCfws();
        var token = new OctetBuilder(16);
        if (reader.ReadMimeToken(token) == Scan.Invalid || reader.SkipCfws() != Scan.End || token.Length == 0)
            return null;
        return token.ToArray();
    }

    void ReadDisposition(ReadOnlySpan<byte> value)
    {
        var reader = new Rfc822Reader(value);
        reader.SkipCfws();
        var token = new OctetBuilder(16);
        if (reader.ReadMimeToken(token) == Scan.Invalid)
            return;
        Disposition = token.ToArray();
        DispositionParameters = ContentParameters.Read(ref reader);
    }

    static List<byte[]>? ReadLanguages(ReadOnlySpan<byte> value)
    {
        var reader = new Rfc822Reader(value);
        reader.SkipCfws();
        var languages = new List<byte[]>();
        var tag = new OctetBuilder(16);
        while (reader.ReadAtom(tag) != Scan.Invalid)
        {
            languages.Add(tag.ToArray());
            tag.Clear();
            if (reader.AtEnd || reader.Current != (byte)',')
                break;
            reader.Advance();
            reader.SkipCfws();
        }
        return languages.Count > 0 ? languages : null;
    }
}
