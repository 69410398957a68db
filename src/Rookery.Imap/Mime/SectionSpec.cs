using System.Text;
using Rookery.Imap.Protocol;

namespace Rookery.Imap.Mime;

/// <summary>What a section-spec asks for, after its part number.</summary>
internal enum SectionText
{
    /// <summary>No text after the part number: the whole message, or a part's body.</summary>
    Content,
    Mime,
    Header,
    HeaderFields,
    HeaderFieldsNot,
    Text,
}

/// <summary>A parsed section-spec (RFC 9051 §6.4.5): "1.2.HEADER.FIELDS (From To)" and the like.</summary>
internal sealed record SectionSpec(int[] Part, SectionText Text, byte[][] Fields)
{
    /// <summary>Parses what stands between BODY[ and ]; false when it is not a section-spec.</summary>
    public static bool TryParse(string section, out SectionSpec spec)
    {
        spec = null!;
        if (!TryParsePart(section, out var part, out var rest))
            return false;
        if (rest.IsEmpty)
        {
            spec = new SectionSpec(part, SectionText.Content, []);
            return true;
        }
        SectionText text;
        byte[][] fields = [];
        if (rest.Equals("MIME", StringComparison.OrdinalIgnoreCase) && part.Length > 0)
            text = SectionText.Mime;
        else if (rest.Equals("TEXT", StringComparison.OrdinalIgnoreCase))
            text = SectionText.Text;
        else if (rest.Equals("HEADER", StringComparison.OrdinalIgnoreCase))
            text = SectionText.Header;
        else if (rest.StartsWith("HEADER.FIELDS.NOT", StringComparison.OrdinalIgnoreCase) && TryParseFieldList(rest[17..], out fields))
            text = SectionText.HeaderFieldsNot;
        else if (rest.StartsWith("HEADER.FIELDS", StringComparison.OrdinalIgnoreCase) && !rest.StartsWith("HEADER.FIELDS.", StringComparison.OrdinalIgnoreCase)
            && TryParseFieldList(rest[13..], out fields))
            text = SectionText.HeaderFields;
        else
            return false;
        spec = new SectionSpec(part, text, fields);
        return true;
    }

    /// <summary>section-part = nz-number *("." nz-number), then "." before any section-text.</summary>
    public static bool TryParsePart(string section, out int[] part, out ReadOnlySpan<char> rest)
    {
        var numbers = new List<int>();
        rest = section;
        while (!rest.IsEmpty && char.IsAsciiDigit(rest[0]))
        {
            var digits = rest.IndexOfAnyExceptInRange('0', '9');
            if (digits < 0)
                digits = rest.Length;
            if (rest[0] == '0' || digits > 9)
            {
                part = [];
                return false;
            }
            numbers.Add(int.Parse(rest[..digits], System.Globalization.CultureInfo.InvariantCulture));
            rest = rest[digits..];
            if (rest.IsEmpty)
                break;
            if (rest[0] != '.' || rest.Length == 1)
            {
                part = [];
                return false;
            }
            rest = rest[1..];
        }
        part = [.. numbers];
        return true;
    }

    /// <summary>" (name name …)": header-list = "(" header-fld-name *(SP header-fld-name) ")", names as atoms or quoted strings.</summary>
    static bool TryParseFieldList(ReadOnlySpan<char> text, out byte[][] fields)
    {
        fields = [];
        if (text.StartsWith(' '))
            text = text[1..];
        if (text.Length < 2 || text[0] != '(' || text[^1] != ')')
            return false;
        text = text[1..^1];
        var names = new List<byte[]>();
        while (!text.IsEmpty)
        {
            if (names.Count > 0)
            {
                if (text[0] != ' ')
                    return false;
                text = text[1..];
            }
            if (!TryReadName(ref text, out var name))
                return false;
            names.Add(Encoding.UTF8.GetBytes(name));
        }
        fields = [.. names];
        return fields.Length > 0;
    }

    static bool TryReadName(ref ReadOnlySpan<char> text, out string name)
    {
        name = "";
        if (text.IsEmpty)
            return false;
        if (text[0] != '"')
        {
            var end = text.IndexOf(' ');
            if (end < 0)
                end = text.Length;
            if (end == 0)
                return false;
            foreach (var c in text[..end])
            {
                if (c > 0x7f || !ImapSyntax.IsAStringChar((byte)c))
                    return false;
            }
            name = text[..end].ToString();
            text = text[end..];
            return true;
        }
        var builder = new StringBuilder();
        for (var i = 1; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
                builder.Append(text[++i]);
            else if (text[i] == '"')
            {
                name = builder.ToString();
                text = text[(i + 1)..];
                return true;
            }
            else
                builder.Append(text[i]);
        }
        return false;
    }
}
