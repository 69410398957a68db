namespace Rookery.Blobs;

/// <summary>
/// Reads a few bytes of its own and then a stream, forward only: an item's trace headers in front of the shared
/// content (every copy of a message carries its own Delivered-To while the content is stored once), or what was
/// read of a stream to look at its start, then the rest of it.
/// </summary>
public sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream content) : Stream
{
    int prefixRead;
    long position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => prefix.Length + content.Length;

    public override long Position
    {
        get => position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = ReadPrefix(buffer);
        if (n == 0)
            n = content.Read(buffer);
        position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = ReadPrefix(buffer.Span);
        if (n == 0)
            n = await content.ReadAsync(buffer, cancellationToken);
        position += n;
        return n;
    }

    int ReadPrefix(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, prefix.Length - prefixRead);
        prefix.Span.Slice(prefixRead, n).CopyTo(buffer);
        prefixRead += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            content.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await content.DisposeAsync();
        await base.DisposeAsync();
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
