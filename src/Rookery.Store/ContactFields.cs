using System.Text;

namespace Rookery.Store;

/// <summary>
/// What the store keeps in columns of a contact: its vCard's UID, formatted name, e-mail addresses, phone
/// numbers and organisation (vCard 2.1, 3.0 and 4.0: RFC 2426, RFC 6350).
/// </summary>
public sealed record ContactFields
{
    /// <summary>The UID property; vCard 3.0 does not require one.</summary>
    public string? Uid { get; init; }

    public string FormattedName { get; init; } = "";
    public IReadOnlyList<string> Emails { get; init; } = [];
    public IReadOnlyList<string> Phones { get; init; } = [];
    public string Organization { get; init; } = "";

    /// <summary>
    /// Reads one vCard. Throws <see cref="ItemContentException"/> unless the text is a single vCard
    /// (BEGIN:VCARD … END:VCARD, as RFC 6352 5.1 asks of an address object resource).
    /// </summary>
    public static ContactFields Extract(string text)
    {
        var lines = Unfold(text);
        var first = lines.FindIndex(l => l.Length > 0);
        if (first < 0 || !IsLine(lines[first], "BEGIN", "VCARD"))
            throw new ItemContentException("not a vCard: it does not begin with BEGIN:VCARD");
        string? uid = null, name = null, organization = null;
        var emails = new List<string>();
        var phones = new List<string>();
        var depth = 0;
        var cards = 0;
        foreach (var line in lines.Skip(first))
        {
            if (line.Length == 0)
                continue;
            if (depth == 0 && cards > 0)
                throw new ItemContentException("an address object holds one vCard");
            if (IsLine(line, "BEGIN", "VCARD"))
            {
                depth++;
                continue;
            }
            if (IsLine(line, "END", "VCARD"))
            {
                if (--depth == 0)
                    cards++;
                continue;
            }
            if (depth != 1)
                continue; // a nested vCard (AGENT in 2.1) is not this contact
            var (property, parameters, value) = Split(line);
            switch (property)
            {
                case "UID":
                    uid ??= Unescape(value, parameters);
                    break;
                case "FN":
                    name ??= Unescape(value, parameters);
                    break;
                case "EMAIL":
                    emails.Add(Unescape(value, parameters));
                    break;
                case "TEL":
                    phones.Add(Unescape(value, parameters));
                    break;
                case "ORG":
                    organization ??= string.Join(", ", SplitComponents(value).Select(v => Unescape(v, parameters)).Where(v => v.Length > 0));
                    break;
            }
        }
        if (cards != 1 || depth != 0)
            throw new ItemContentException("not a vCard: BEGIN:VCARD has no matching END:VCARD");
        return new ContactFields
        {
            Uid = string.IsNullOrWhiteSpace(uid) ? null : uid.Trim(),
            FormattedName = name ?? "",
            Emails = emails.Where(e => e.Length > 0).ToList(),
            Phones = phones.Where(p => p.Length > 0).ToList(),
            Organization = organization ?? "",
        };
    }

    static bool IsLine(string line, string property, string value)
    {
        var (name, _, v) = Split(line);
        return name == property && v.Trim().Equals(value, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Lines with folding undone (a line break followed by a space or tab continues the line; RFC 6350 3.2).</summary>
    static List<string> Unfold(string text)
    {
        var lines = new List<string>();
        var current = new StringBuilder();
        var started = false;
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n'))
        {
            if (raw.Length > 0 && (raw[0] == ' ' || raw[0] == '\t') && started)
            {
                current.Append(raw, 1, raw.Length - 1);
                continue;
            }
            if (started)
                lines.Add(current.ToString());
            current.Clear().Append(raw);
            started = true;
        }
        if (started)
            lines.Add(current.ToString());
        // vCard 2.1 quoted-printable soft breaks: a line ending in '=' continues on the next
        for (var i = 0; i < lines.Count - 1; i++)
        {
            if (lines[i].EndsWith('=') && lines[i].Contains("QUOTED-PRINTABLE", StringComparison.OrdinalIgnoreCase))
            {
                lines[i] = lines[i][..^1] + lines[i + 1];
                lines.RemoveAt(i + 1);
                i--;
            }
        }
        return lines;
    }

    /// <summary>The property name (upper case, group dropped), its parameters and its value.</summary>
    static (string Property, string Parameters, string Value) Split(string line)
    {
        // the value starts at the first colon outside a quoted parameter value
        var quoted = false;
        var colon = -1;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '"')
                quoted = !quoted;
            else if (line[i] == ':' && !quoted)
            {
                colon = i;
                break;
            }
        }
        if (colon < 0)
            return ("", "", "");
        var head = line[..colon];
        var semicolon = head.IndexOf(';', StringComparison.Ordinal);
        var name = semicolon < 0 ? head : head[..semicolon];
        var parameters = semicolon < 0 ? "" : head[(semicolon + 1)..];
        var dot = name.LastIndexOf('.');
        if (dot >= 0)
            name = name[(dot + 1)..];
        return (name.Trim().ToUpperInvariant(), parameters, line[(colon + 1)..]);
    }

    /// <summary>The components of a structured value (ORG, N), split at semicolons that are not escaped.</summary>
    static IEnumerable<string> SplitComponents(string value)
    {
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\')
                i++;
            else if (value[i] == ';')
            {
                yield return value[start..i];
                start = i + 1;
            }
        }
        yield return value[start..];
    }

    static string Unescape(string value, string parameters)
    {
        if (parameters.Contains("QUOTED-PRINTABLE", StringComparison.OrdinalIgnoreCase))
            value = DecodeQuotedPrintable(value, parameters);
        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                var next = value[++i];
                text.Append(next is 'n' or 'N' ? '\n' : next);
            }
            else
            {
                text.Append(value[i]);
            }
        }
        return text.ToString().Trim();
    }

    static string DecodeQuotedPrintable(string value, string parameters)
    {
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '=' && i + 2 < value.Length && Uri.IsHexDigit(value[i + 1]) && Uri.IsHexDigit(value[i + 2]))
            {
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }
        var charset = parameters.Split(';').Select(p => p.Split('=', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals("CHARSET", StringComparison.OrdinalIgnoreCase))?[1].Trim('"');
        Encoding encoding;
        try
        {
            encoding = charset is null ? Encoding.UTF8 : Encoding.GetEncoding(charset);
        }
        catch (ArgumentException)
        {
            encoding = Encoding.UTF8;
        }
        return encoding.GetString([.. bytes]);
    }
}
