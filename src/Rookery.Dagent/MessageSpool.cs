using System.Buffers;
using Rookery.Store;

namespace Rookery.Dagent;

/// <summary>
/// Holds a message while it is received: in memory up to <c>memoryLimit</c> octets, then in a
/// private temporary file, so fifty concurrent 60 MB messages do not need 3 GB of memory.
/// The file is readable by its owner only and disappears when the spool is disposed (or the
/// process dies: it is deleted on close and swept by nothing else).
/// </summary>
public sealed class MessageSpool(string directory, int memoryLimit = MessageSpool.DefaultMemoryLimit) : IBufferWriter<byte>, IDisposable
{
    public const int DefaultMemoryLimit = 1024 * 1024;
    const int FileChunk = 64 * 1024;

    readonly ArrayBufferWriter<byte> memory = new();
    FileStream? file;
    byte[]? scratch;

    /// <summary>Octets written so far.</summary>
    public long Length { get; private set; }

    /// <summary>Whether the message outgrew memory and lives in a file.</summary>
    public bool Spilled => file is not null;

    public Span<byte> GetSpan(int sizeHint = 0) => file is null && Length + Math.Max(sizeHint, 1) <= memoryLimit
        ? memory.GetSpan(sizeHint)
        : Scratch(sizeHint);

    public Memory<byte> GetMemory(int sizeHint = 0) => file is null && Length + Math.Max(sizeHint, 1) <= memoryLimit
        ? memory.GetMemory(sizeHint)
        : Scratch(sizeHint);

    public void Advance(int count)
    {
        if (scratch is null)
            memory.Advance(count);
        else
        {
            try
            {
                File().Write(scratch, 0, count);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
                scratch = null;
            }
        }
        Length += count;
    }

    byte[] Scratch(int sizeHint)
    {
        scratch = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, FileChunk));
        return scratch;
    }

    FileStream File()
    {
        if (file is null)
        {
            System.IO.Directory.CreateDirectory(directory);
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Options = FileOptions.DeleteOnClose,
                BufferSize = FileChunk,
            };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            file = new FileStream(Path.Combine(directory, $"lmtp-{Guid.NewGuid():N}.tmp"), options);
            file.Write(memory.WrittenSpan);
            memory.Clear();
        }
        return file;
    }

    /// <summary>
    /// The whole message where it lies, to be read once by the delivery: the memory it arrived in, or the spool
    /// file mapped read-only. Valid until the spool is disposed or written again.
    /// </summary>
    public MessageContent Content() => file is null ? MessageContent.Of(memory.WrittenMemory) : MessageContent.Map(file);

    /// <summary>The whole message from its first octet; valid until the spool is disposed or written again.</summary>
    public Stream OpenRead()
    {
        if (file is null)
        {
            return System.Runtime.InteropServices.MemoryMarshal.TryGetArray(memory.WrittenMemory, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(memory.WrittenMemory.ToArray(), writable: false);
        }
        file.Flush();
        file.Position = 0;
        return new NonClosingStream(file);
    }

    public void Dispose()
    {
        file?.Dispose();
        file = null;
    }

    /// <summary>Lets the delivery read the spool file without closing (and so deleting) it.</summary>
    sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
