using System.Text;

namespace Rookery.Mime;

/// <summary>A Content-Type or Content-Disposition parameter as BODYSTRUCTURE sends it.</summary>
public sealed record MimeParameter(byte[] Name, byte[] Value);

/// <summary>
/// The "; attribute=value" list after a Content-Type or Content-Disposition value, with RFC 2231 continuations
/// (name*0, name*1*, …) joined into one parameter.
/// </summary>
/// <remarks>
/// Joined values stay in their RFC 2231 form (name* = charset'language'percent-encoded), not decoded:
/// BODYSTRUCTURE carries parameters as the message has them, and that is what Dovecot sends too.
/// </remarks>
public static class ContentParameters
{
    /// <summary>Reads parameters from the reader's position to the end of the value, skipping what cannot be read.</summary>
    public static List<MimeParameter> Read(ref Rfc822Reader reader)
    {
        var plain = new List<MimeParameter>();
        List<Section>? sections = null;
        var value = new OctetBuilder();
        while (!reader.AtEnd)
        {
            if (!TryReadParameter(ref reader, out var name, value))
            {
                // Resynchronise one octet further on, at the next ';' if there is one.
                reader.Advance();
                continue;
            }
            if (Section.TryParse(name, value.ToArray()) is { } section)
                (sections ??= []).Add(section);
            else
                plain.Add(new MimeParameter(name, value.ToArray()));
        }
        if (sections is not null)
            plain.AddRange(Join(sections));
        return plain;
    }

    /// <summary>";" attribute "=" value at the reader's position; false (position left where it failed) when malformed.</summary>
    static bool TryReadParameter(ref Rfc822Reader reader, out byte[] name, OctetBuilder value)
    {
        name = [];
        value.Clear();
        if (reader.Current != (byte)';')
            return false;
        reader.Advance();
        if (reader.SkipCfws() != Scan.More)
            return false;
        var attribute = new OctetBuilder(16);
        if (reader.ReadMimeToken(attribute) != Scan.More || reader.Current != (byte)'=')
            return false;
        reader.Advance();
        name = attribute.ToArray();
        var scan = reader.SkipCfws();
        if (scan != Scan.More)
            return scan == Scan.End;
        if (reader.Current == (byte)'"')
            return reader.ReadQuotedString(value) != Scan.Invalid;
        if (reader.Current == (byte)'=')
        {
            // Broken senders write name==?utf-8?b?…?= unquoted; keep such a value up to the next separator.
            while (!reader.AtEnd && reader.Current is not ((byte)';' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                value.Append(reader.Current);
                reader.Advance();
            }
            return true;
        }
        return reader.ReadMimeToken(value) != Scan.Invalid;
    }

    /// <summary>
    /// Joins each name's sections in index order. A name whose indexes have a gap is not RFC 2231 after all:
    /// its sections are passed on one by one under their full names.
    /// </summary>
    static IEnumerable<MimeParameter> Join(List<Section> sections)
    {
        // Ordinal on the name first, as Dovecot sorts, then by index; case is ignored only when grouping.
        sections.Sort((a, b) =>
        {
            var byName = a.Name.AsSpan().SequenceCompareTo(b.Name);
            return byName != 0 ? byName : a.Index.CompareTo(b.Index);
        });
        for (var first = 0; first < sections.Count;)
        {
            var next = first;
            var complete = true;
            var extended = false;
            while (next < sections.Count && Ascii.EqualsIgnoreCase(sections[next].Name, sections[first].Name))
            {
                complete &= sections[next].Index == next - first;
                extended |= sections[next].Extended;
                next++;
            }
            if (!complete)
            {
                for (var i = first; i < next; i++)
                    yield return new MimeParameter(sections[i].FullName(), sections[i].Value);
            }
            else
            {
                var value = new OctetBuilder();
                if (extended && !sections[first].Extended)
                    value.Append("''"u8); // an empty charset and language make the joined value an extended one
                for (var i = first; i < next; i++)
                {
                    if (extended && !sections[i].Extended)
                        AppendPercentEscaped(value, sections[i].Value);
                    else
                        value.Append(sections[i].Value);
                }
                var name = extended ? [.. sections[first].Name, (byte)'*'] : sections[first].Name;
                yield return new MimeParameter(name, value.ToArray());
            }
            first = next;
        }
    }

    static void AppendPercentEscaped(OctetBuilder output, byte[] text)
    {
        foreach (var c in text)
        {
            if (c == (byte)'%')
                output.Append("%25"u8);
            else
                output.Append(c);
        }
    }

    /// <summary>One RFC 2231 section: name*index or name*index* (name* alone is section 0, extended).</summary>
    sealed record Section(byte[] Name, int Index, bool Extended, byte[] Value)
    {
        public static Section? TryParse(byte[] attribute, byte[] value)
        {
            var star = Array.IndexOf(attribute, (byte)'*');
            if (star < 0)
                return null;
            var rest = attribute.AsSpan(star + 1);
            if (rest.IsEmpty)
                return new Section(attribute[..star], 0, true, value);
            var digits = 0;
            var index = 0;
            while (digits < rest.Length && char.IsAsciiDigit((char)rest[digits]))
            {
                index = (int)Math.Min(index * 10L + (rest[digits] - '0'), int.MaxValue);
                digits++;
            }
            var tail = rest[digits..];
            if (tail.IsEmpty)
                return new Section(attribute[..star], index, false, value);
            if (tail.SequenceEqual("*"u8))
                return new Section(attribute[..star], index, true, value);
            return null;
        }

        public byte[] FullName() => [.. Name, .. Encoding.ASCII.GetBytes(Extended ? $"*{Index}*" : $"*{Index}")];
    }
}
