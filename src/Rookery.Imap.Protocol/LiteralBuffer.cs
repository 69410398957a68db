using System.Buffers;

namespace Rookery.Imap.Protocol;

/// <summary>Where a literal's octets go while they arrive; large ones (APPEND) may live in a file.</summary>
public interface ILiteralBuffer : IBufferWriter<byte>, IDisposable
{
    long Length { get; }

    /// <summary>The octets, for short literals; a buffer held in a file may refuse.</summary>
    ReadOnlySpan<byte> Span { get; }

    /// <summary>The octets where they lie, valid while the buffer is (a message is ingested from them without a copy).</summary>
    ReadOnlyMemory<byte> Memory { get; }

    Stream OpenRead();
}

/// <summary>A literal held in memory.</summary>
public sealed class MemoryLiteral : ILiteralBuffer
{
    readonly ArrayBufferWriter<byte> buffer;

    public MemoryLiteral(int capacity = 256) => buffer = new ArrayBufferWriter<byte>(Math.Max(capacity, 1));

    public MemoryLiteral(ReadOnlySpan<byte> content) : this(content.Length) => buffer.Write(content);

    public long Length => buffer.WrittenCount;
    public ReadOnlySpan<byte> Span => buffer.WrittenSpan;
    public ReadOnlyMemory<byte> Memory => buffer.WrittenMemory;

    /// <summary>A stream over the octets where they lie; nothing writes to the buffer once the literal is complete.</summary>
    public Stream OpenRead() => System.Runtime.InteropServices.MemoryMarshal.TryGetArray(buffer.WrittenMemory, out var segment)
        ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false, publiclyVisible: true)
        : new MemoryStream(buffer.WrittenSpan.ToArray(), writable: false);
    public void Advance(int count) => buffer.Advance(count);
    public Memory<byte> GetMemory(int sizeHint = 0) => buffer.GetMemory(sizeHint);
    public Span<byte> GetSpan(int sizeHint = 0) => buffer.GetSpan(sizeHint);
    public void Dispose() { }
}
