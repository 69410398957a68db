namespace Rookery.Mime;

/// <summary>A growable run of octets, for header values that are neither ASCII nor surely UTF-8.</summary>
public sealed class OctetBuilder(int capacity = 64)
{
    byte[] buffer = new byte[capacity];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => buffer.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public void Truncate(int length) => Length = Math.Min(Length, length);

    public void Append(byte value)
    {
        Reserve(1);
        buffer[Length++] = value;
    }

    public void Append(ReadOnlySpan<byte> values)
    {
        Reserve(values.Length);
        values.CopyTo(buffer.AsSpan(Length));
        Length += values.Length;
    }

    public byte[] ToArray() => Span.ToArray();

    void Reserve(int count)
    {
        if (Length + count > buffer.Length)
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, Length + count));
    }
}
