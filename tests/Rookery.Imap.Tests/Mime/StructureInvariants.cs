using System.Text;
using Rookery.Imap.Mime;

namespace Rookery.Imap.Tests.Mime;

/// <summary>
/// What must hold for any message, however broken: sections are slices that add up to the message, and
/// every size and line count in BODYSTRUCTURE is that of the section it describes. Read from the output a
/// client sees, so it checks the wire format too.
/// </summary>
internal static class StructureInvariants
{
    public static void Check(byte[] raw)
    {
        var message = MessageStructure.Parse(raw);
        var text = Encoding.Latin1.GetString(raw);

        Assert.Equal(text, Fetch.Section(message, ""));
        Assert.Equal(text, Fetch.Section(message, "HEADER") + Fetch.Section(message, "TEXT"));
        Assert.NotNull(Fetch.Section(message, "HEADER.FIELDS (From To Subject)"));
        Assert.NotNull(Fetch.Section(message, "HEADER.FIELDS.NOT (Received)"));
        Assert.StartsWith("(", Fetch.Envelope(message), StringComparison.Ordinal);
        Assert.StartsWith("(", Fetch.Body(message), StringComparison.Ordinal);
        message.TryGetBinary("", out _, out _);

        var structure = ImapValue.Parse(Fetch.BodyStructure(message));
        CheckPart(message, text, structure, path: "1", isRoot: true);
        CheckDescription(raw);
    }

    /// <summary>
    /// The description kept at ingest answers as the message does, in IMAP4rev1 and IMAP4rev2 sessions, with and
    /// without UTF8=ACCEPT; and, described without them, for a copy with trace headers in front.
    /// </summary>
    static void CheckDescription(byte[] raw)
    {
        var imap4rev2 = MessageStructure.Parse(raw, messageGlobal: true);
        Fetch.BodyStructure(imap4rev2);
        Fetch.Envelope(imap4rev2, utf8: true);
        Fetch.Envelope(MessageStructure.Parse(raw), utf8: true);

        var traced = MessageStructure.Parse((byte[])[.. "Return-Path: <s@example.net>\r\nDelivered-To: r@example.com\r\n"u8, .. raw]);
        var described = Fetch.DescribedFrom(raw);
        Assert.Equal(Fetch.BodyStructure(traced), Fetch.Render(w => described.WriteBodyStructure(w, extensible: true)));
        Assert.Equal(Fetch.Envelope(traced), Fetch.Render(described.WriteEnvelope));
    }

    static void CheckPart(MessageStructure message, string text, object? structure, string path, bool isRoot)
    {
        var fields = Assert.IsType<List<object?>>(structure);
        if (fields[0] is List<object?>)
        {
            // multipart: its parts, then the subtype. The root's parts are 1, 2…; a part's are p.1, p.2…
            var children = fields.TakeWhile(f => f is List<object?>).ToList();
            var prefix = isRoot ? "" : path + ".";
            for (var i = 0; i < children.Count; i++)
                CheckPart(message, text, children[i], prefix + (i + 1), isRoot: false);
            if (!isRoot)
                CheckSlice(message, text, path);
            return;
        }

        var body = Fetch.Section(message, path);
        if (body is null)
            return; // the empty stand-in of a multipart without parts
        Assert.Equal(body.Length, int.Parse(Assert.IsType<string>(fields[6]), System.Globalization.CultureInfo.InvariantCulture));
        var type = fields[0] as string;
        var subtype = fields[1] as string;
        var lines = body.Count(c => c == '\n');
        if (string.Equals(type, "text", StringComparison.OrdinalIgnoreCase))
            Assert.Equal(lines.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[7]);
        else if (type == "message" && subtype == "rfc822" && fields.Count > 9 && fields[8] is List<object?> inner)
        {
            Assert.Equal(lines.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[9]);
            Assert.Equal(body, Fetch.Section(message, path + ".HEADER") + Fetch.Section(message, path + ".TEXT"));
            CheckPart(message, text, inner, inner[0] is List<object?> ? path : path + ".1", isRoot: false);
        }
        if (!isRoot)
            CheckSlice(message, text, path);
        message.TryGetBinary(path, out _, out _);
    }

    /// <summary>A part's MIME header and body are one run of the message's octets.</summary>
    static void CheckSlice(MessageStructure message, string text, string path)
    {
        var mime = Fetch.Section(message, path + ".MIME");
        var body = Fetch.Section(message, path);
        Assert.NotNull(mime);
        Assert.NotNull(body);
        Assert.Contains(mime + body, text, StringComparison.Ordinal);
    }
}

/// <summary>Reads IMAP response data (lists, quoted strings, literals, atoms, NIL) into lists, strings and nulls.</summary>
internal ref struct ImapValue(string text)
{
    readonly string text = text;
    int position;

    public static object? Parse(string text)
    {
        var reader = new ImapValue(text);
        var value = reader.Read();
        Assert.Equal(text.Length, reader.position);
        return value;
    }

    object? Read()
    {
        var c = text[position];
        if (c == '(')
        {
            position++;
            var list = new List<object?>();
            while (text[position] != ')')
            {
                if (text[position] == ' ')
                    position++;
                else
                    list.Add(Read());
            }
            position++;
            return list;
        }
        if (c == '"')
        {
            var value = new StringBuilder();
            for (position++; text[position] != '"'; position++)
            {
                if (text[position] == '\\')
                    position++;
                value.Append(text[position]);
            }
            position++;
            return value.ToString();
        }
        if (c == '{')
        {
            var close = text.IndexOf('}', position);
            var length = int.Parse(text.AsSpan(position + 1, close - position - 1), System.Globalization.CultureInfo.InvariantCulture);
            position = close + 3; // "}\r\n"
            var value = text.Substring(position, length);
            position += length;
            return value;
        }
        var end = text.IndexOfAny([' ', ')'], position);
        var atom = text[position..end];
        position = end;
        return atom == "NIL" ? null : atom;
    }
}
