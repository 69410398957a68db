using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Rookery.Blobs;

/// <summary>
/// A local file whose asynchronous reads and writes run on the calling thread. On Linux .NET has no
/// asynchronous file IO: FileStream.ReadAsync and WriteAsync hand every call to another thread-pool
/// thread and back, two context switches for a read that the page cache answers in microseconds.
/// A FETCH of 20 message headers made some 40 of those round trips through the decompressor's
/// reads. Blobs are small and mostly cached, so they are read and written in place, as a
/// blocking server would; a cold read blocks one pool thread for the length of a disk read.
/// </summary>
sealed class LocalFileStream(FileStream file) : Stream
{
    public override bool CanRead => file.CanRead;
    public override bool CanSeek => file.CanSeek;
    public override bool CanWrite => file.CanWrite;
    public override long Length => file.Length;

    public override long Position
    {
        get => file.Position;
        set => file.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => file.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => file.Read(buffer);
    public override int ReadByte() => file.ReadByte();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<int>(cancellationToken);
        return ValueTask.FromResult(file.Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => file.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => file.Write(buffer);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        file.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => file.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        file.Flush();
        return Task.CompletedTask;
    }

    public override long Seek(long offset, SeekOrigin origin) => file.Seek(offset, origin);
    public override void SetLength(long value) => file.SetLength(value);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            file.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Creates a new file for writing, unbuffered.</summary>
    public static LocalFileStream CreateNew(string path) =>
        new(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.None));
}

/// <summary>
/// A local file read in place (see <see cref="LocalFileStream"/>), opened without FileStream's extras:
/// a FETCH of 20 headers opens 20 blob files, and FileStream's open adds an fstat, an advisory lock
/// and its release to each, and reports a missing file (every uncompressed blob is first looked for
/// under its compressed name) by throwing, which cost more than the open itself.
/// </summary>
sealed class LocalFileReader(SafeFileHandle handle) : Stream
{
    long position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => RandomAccess.GetLength(handle);

    public override long Position
    {
        get => position;
        set => position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = RandomAccess.Read(handle, buffer, position);
        position += read;
        return read;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<int>(cancellationToken);
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => position + offset,
        _ => Length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            handle.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Opens a file for reading, unbuffered: the reader (a decompressor, a copy loop) brings its own buffer.</summary>
    public static LocalFileReader OpenRead(string path) =>
        TryOpenRead(path) ?? throw new FileNotFoundException($"Could not find file '{path}'.", path);

    /// <summary>Opens a file for reading; null when there is no such file (or directory on its path).</summary>
    public static LocalFileReader? TryOpenRead(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            try
            {
                return new(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read));
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }
        }
        var fd = Open(path, ReadOnlyCloseOnExec);
        if (fd >= 0)
            return new(new SafeFileHandle(fd, ownsHandle: true));
        var errno = Marshal.GetLastPInvokeError();
        if (errno is NoSuchFile or NotADirectory)
            return null;
        throw new IOException($"cannot open {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }

    /// <summary>O_RDONLY | O_CLOEXEC, the same on every Linux architecture .NET runs on.</summary>
    const int ReadOnlyCloseOnExec = 0x80000;
    const int NoSuchFile = 2; // ENOENT
    const int NotADirectory = 20; // ENOTDIR

    /// <summary>open(2); also used to open a directory for its fsync (<see cref="DirectorySync"/>).</summary>
    [DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    internal static extern int Open(string path, int flags);
}
