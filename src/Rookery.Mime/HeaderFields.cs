using System.Text;

namespace Rookery.Mime;

/// <summary>
/// One field of a header block, as offsets into the block: its raw extent (continuation lines and the final
/// line break included), its name, and its value after the colon and the whitespace that follows it.
/// </summary>
public readonly record struct HeaderField(int Start, int NameLength, int ValueStart, int ValueEnd, int End)
{
    public bool HasName => NameLength > 0;

    public ReadOnlySpan<byte> Name(ReadOnlySpan<byte> header) => header.Slice(Start, NameLength);

    public ReadOnlySpan<byte> Value(ReadOnlySpan<byte> header) => header[ValueStart..ValueEnd];

    public ReadOnlySpan<byte> Raw(ReadOnlySpan<byte> header) => header[Start..End];

    public bool NameIs(ReadOnlySpan<byte> header, ReadOnlySpan<byte> name) => Ascii.EqualsIgnoreCase(Name(header), name);
}

/// <summary>Splits a header block into fields and unfolds their values.</summary>
public static class HeaderFields
{
    /// <summary>Field names longer than this are treated as no name at all (RFC 5322 caps lines at 998).</summary>
    const int MaxNameLength = 1000;

    /// <summary>The fields of <paramref name="header"/>, up to the blank line that ends it (or its end).</summary>
    public static Enumerator Of(ReadOnlySpan<byte> header) => new(header);

    /// <summary>
    /// A field value as one line: line breaks removed (a space put in where a break is not followed by
    /// whitespace) and NULs replaced by U+FFFD, so the value can go into an IMAP string.
    /// </summary>
    public static byte[] Unfold(ReadOnlySpan<byte> value)
    {
        if (value.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) < 0)
            return value.ToArray();
        var output = new OctetBuilder(value.Length + 2);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == 0)
                output.Append(Rfc822Reader.NulReplacement);
            else if (c is not ((byte)'\r' or (byte)'\n'))
                output.Append(c);
            else if (i + 1 < value.Length && value[i + 1] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                output.Append((byte)' ');
        }
        return output.ToArray();
    }

    public ref struct Enumerator(ReadOnlySpan<byte> header)
    {
        readonly ReadOnlySpan<byte> header = header;
        int position;

        public HeaderField Current { get; private set; }

        public readonly Enumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            var start = position;
            if (start >= header.Length || header[start] == (byte)'\n' || header[start..].StartsWith("\r\n"u8))
                return false;
            var firstLineEnd = LineEnd(start);
            var end = firstLineEnd;
            while (end < header.Length && header[end] is (byte)' ' or (byte)'\t')
                end = LineEnd(end);
            position = end;

            var contentEnd = WithoutLineBreak(start, firstLineEnd);
            var colon = header[start..contentEnd].IndexOf((byte)':');
            if (colon < 0)
            {
                Current = new HeaderField(start, 0, start, WithoutLineBreak(start, end), end);
                return true;
            }
            var nameLength = colon;
            while (nameLength > 0 && header[start + nameLength - 1] is (byte)' ' or (byte)'\t')
                nameLength--;
            if (nameLength > MaxNameLength)
                nameLength = 0;

            // The whitespace after the colon is not part of the value, unless the line has nothing else
            // (then one space goes, as Dovecot does, so that a folded value keeps its shape).
            var valueStart = start + colon + 1;
            var firstText = valueStart;
            while (firstText < contentEnd && header[firstText] is (byte)' ' or (byte)'\t')
                firstText++;
            valueStart = firstText < contentEnd ? firstText : Math.Min(valueStart + 1, contentEnd);
            Current = new HeaderField(start, nameLength, valueStart, WithoutLineBreak(start, end), end);
            return true;
        }

        /// <summary>The offset after the line break of the line starting at <paramref name="start"/>.</summary>
        readonly int LineEnd(int start)
        {
            var lf = header[start..].IndexOf((byte)'\n');
            return lf < 0 ? header.Length : start + lf + 1;
        }

        readonly int WithoutLineBreak(int start, int end)
        {
            if (end > start && header[end - 1] == (byte)'\n')
                end--;
            if (end > start && header[end - 1] == (byte)'\r')
                end--;
            return end;
        }
    }
}
