using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Rookery.Store;

/// <summary>
/// The octets of a message on its way into the store, read once: where they already are in memory (an IMAP
/// literal, an LMTP message under the spool's memory limit) they are used where they lie; a message spooled
/// to a file is mapped, not copied. Its header fields, its structure description and the blob the store
/// stages are all taken from these same octets (<see cref="MessageFields.Extract"/>, <see cref="OpenRead"/>).
/// Valid until disposed, and for as long as what it was made from is.
/// </summary>
public sealed class MessageContent : IDisposable
{
    readonly MappedFile? mapped;

    MessageContent(ReadOnlyMemory<byte> memory, MappedFile? mapped)
    {
        Memory = memory;
        this.mapped = mapped;
    }

    public ReadOnlyMemory<byte> Memory { get; }

    public long Length => Memory.Length;

    /// <summary>Octets held elsewhere (the caller keeps them unchanged while this is used).</summary>
    public static MessageContent Of(ReadOnlyMemory<byte> memory) => new(memory, null);

    /// <summary>The whole of <paramref name="file"/>, mapped read-only; the file stays open and the caller's.</summary>
    public static MessageContent Map(FileStream file)
    {
        file.Flush();
        if (file.Length == 0)
            return new(ReadOnlyMemory<byte>.Empty, null);
        if (file.Length > int.MaxValue)
            throw new InvalidDataException("A message of 2 GiB or more cannot be stored");
        var mapped = new MappedFile(file);
        return new(mapped.Memory, mapped);
    }

    /// <summary>
    /// The rest of <paramref name="stream"/>: without a copy from a memory stream whose buffer is visible, mapped
    /// from a file stream, otherwise read once into memory.
    /// </summary>
    public static async Task<MessageContent> ReadAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        if (stream is MemoryStream memory && memory.TryGetBuffer(out var buffer))
            return Of(buffer.AsMemory((int)memory.Position, (int)(memory.Length - memory.Position)));
        if (stream is FileStream { CanSeek: true, Position: 0 } file)
            return Map(file);
        using var copy = stream.CanSeek ? new MemoryStream((int)Math.Clamp(stream.Length - stream.Position, 0, int.MaxValue)) : new MemoryStream();
        await stream.CopyToAsync(copy, cancellationToken);
        return Of(copy.GetBuffer().AsMemory(0, (int)copy.Length));
    }

    /// <summary>A stream over the octets, from the first, without copying them (to stage the blob).</summary>
    public Stream OpenRead()
    {
        if (MemoryMarshal.TryGetArray(Memory, out var segment))
            return new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false, publiclyVisible: true);
        return mapped is not null ? mapped.OpenRead() : new MemoryStream(Memory.ToArray(), writable: false);
    }

    public void Dispose() => ((IDisposable?)mapped)?.Dispose();

    /// <summary>A file mapped read-only into memory, as a <see cref="MemoryManager{T}"/> so it is a <see cref="ReadOnlyMemory{T}"/>.</summary>
    sealed unsafe class MappedFile : MemoryManager<byte>
    {
        readonly MemoryMappedFile file;
        readonly MemoryMappedViewAccessor view;
        readonly byte* start;
        readonly int length;
        bool released;

        public MappedFile(FileStream source)
        {
            length = (int)source.Length;
            file = MemoryMappedFile.CreateFromFile(source, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            try
            {
                view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
                byte* pointer = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
                start = pointer + view.PointerOffset;
            }
            catch
            {
                view?.Dispose();
                file.Dispose();
                throw;
            }
        }

        public Stream OpenRead() => new UnmanagedMemoryStream(start, length);

        public override Span<byte> GetSpan() => new(start, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            if (released)
                return;
            released = true;
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            file.Dispose();
        }
    }
}
