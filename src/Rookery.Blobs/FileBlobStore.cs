using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Rookery.Blobs;

/// <summary>
/// Content-addressed blob files (attachment_storage = files): <c>root/ab/cd/abcd…[.gz]</c>.
/// Blobs are written under a temporary name, fsynced, and renamed into place; identical
/// content is stored once. Reference counting lives with the rows that point at blobs.
/// </summary>
public sealed class FileBlobStore : IBlobBackend
{
    const string CompressedSuffix = ".gz";
    readonly string root;
    readonly string tempDirectory;
    readonly int compressionLevel;

    /// <param name="root">attachment_path</param>
    /// <param name="compressionLevel">attachment_compression, 0 (none) to 9</param>
    public FileBlobStore(string root, int compressionLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(compressionLevel, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(compressionLevel, 9);
        this.root = Path.GetFullPath(root);
        this.compressionLevel = compressionLevel;
        tempDirectory = Path.Combine(this.root, "tmp");
        Directory.CreateDirectory(tempDirectory);
    }

    public string Root => root;

    public string Location => root;

    /// <summary>
    /// Content up to this size is stored uncompressed whatever attachment_compression says: it fills one
    /// filesystem block compressed or not, so compressing it saves no disk and costs a decompression on
    /// every read (a client's message list reads every header).
    /// </summary>
    public const int UncompressedUpTo = 4096;

    /// <summary>
    /// Writes <paramref name="content"/> to a temporary file and returns its identity. The file is
    /// fsynced only when it is placed (<see cref="PlaceLocked"/>): content that is stored already,
    /// a message appended again or delivered to several stores, never pays for an fsync.
    /// </summary>
    public async Task<StagedBlob> StageAsync(Stream content, CancellationToken cancellationToken = default)
    {
        var tempPath = Path.Combine(tempDirectory, $"{Guid.NewGuid():N}.tmp");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            // Unbuffered: the copy below already writes in large chunks, and a staged message is
            // written once; a pooled buffer keeps a delivery from allocating 128 KB of them.
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
            try
            {
                // The first block decides whether the content is small enough to keep uncompressed.
                var length = 0;
                int read;
                while (length <= UncompressedUpTo && (read = await content.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
                    length += read;
                var compress = compressionLevel != 0 && length > UncompressedUpTo;
                await using var file = LocalFileStream.CreateNew(tempPath);
                Stream sink = compress ? new GZipStream(file, new ZLibCompressionOptions { CompressionLevel = compressionLevel }, leaveOpen: true) : file;
                long total = 0;
                for (read = length; read > 0; read = await content.ReadAsync(buffer, cancellationToken))
                {
                    hash.AppendData(buffer, 0, read);
                    total += read;
                    await sink.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                if (!ReferenceEquals(sink, file))
                    await sink.DisposeAsync();
                return new StagedBlob(BlobId.FromHash(hash.GetHashAndReset()), total, tempPath, null, compress);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch
        {
            File.Delete(tempPath);
            throw;
        }
    }

    /// <summary>
    /// Stages content shorter than <paramref name="inMemoryBelow"/> bytes in memory, to be kept in the database
    /// (<see cref="StagedBlob.Content"/>), and longer content as <see cref="StageAsync(Stream, CancellationToken)"/> does.
    /// Only the first <paramref name="inMemoryBelow"/> bytes are read before the choice is made.
    /// </summary>
    public async Task<StagedBlob> StageAsync(Stream content, int inMemoryBelow, CancellationToken cancellationToken = default)
    {
        if (inMemoryBelow <= 0)
            return await StageAsync(content, cancellationToken);
        var head = ArrayPool<byte>.Shared.Rent(inMemoryBelow);
        try
        {
            var length = 0;
            int read;
            while (length < inMemoryBelow && (read = await content.ReadAsync(head.AsMemory(length, inMemoryBelow - length), cancellationToken)) > 0)
                length += read;
            if (length < inMemoryBelow)
                return MemoryStaging.Stage(head.AsSpan(0, length).ToArray());
            return await StageAsync(new PrefixedStream(head.AsMemory(0, length), content), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    /// <summary>What was read of a stream to look at its start, then the rest of it: read forward only.</summary>
    sealed class PrefixedStream(ReadOnlyMemory<byte> head, Stream rest) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (head.IsEmpty)
                return rest.Read(buffer);
            var n = Math.Min(head.Length, buffer.Length);
            head.Span[..n].CopyTo(buffer);
            head = head[n..];
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (head.IsEmpty)
                return rest.ReadAsync(buffer, cancellationToken);
            return ValueTask.FromResult(Read(buffer.Span));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// Moves a staged blob to its final name ahead of the transaction that will reference it,
    /// when no identical content is there yet; otherwise leaves it staged for <see cref="Place"/>.
    /// The rename and the directory fsync then happen on the writer's own thread instead of inside
    /// the transaction (where, on SQLite, every writer of the process waits for them). A file whose
    /// transaction never commits is an orphan the collector registers and removes after its grace.
    /// </summary>
    public void PlaceAhead(StagedBlob staged)
    {
        lock (staged)
        {
            if (staged.TempPath is not null && !Exists(staged.Id))
                PlaceLocked(staged);
        }
    }

    /// <summary>
    /// Moves a staged blob to its final name unless identical content is already there.
    /// Call it inside the transaction that references the blob, before commit.
    /// </summary>
    public void Place(StagedBlob staged)
    {
        // one staged message may be appended to several stores at once
        lock (staged)
            PlaceLocked(staged);
    }

    void PlaceLocked(StagedBlob staged)
    {
        var tempPath = staged.TempPath;
        if (tempPath is null)
        {
            // Placed by an earlier append of the same content, whose transaction may have failed since.
            if (!Exists(staged.Id))
                throw new InvalidOperationException($"blob {staged.Id} was placed and then removed before it was referenced");
            return;
        }
        if (Exists(staged.Id))
        {
            staged.Dispose();
            return;
        }
        var target = PathFor(staged.Id, staged.Compressed);
        var directory = Path.GetDirectoryName(target)!;
        EnsureDurableDirectory(directory);
        // the content is on disk before its name is: a power cut leaves the blob whole or not there
        using (var written = File.OpenHandle(tempPath, FileMode.Open, FileAccess.ReadWrite))
            RandomAccess.FlushToDisk(written);
        File.Move(tempPath, target, overwrite: true);
        staged.TempPath = null;
        FlushDirectory(directory);
    }

    /// <summary>Reads back a staged, not yet placed blob (uncompressed).</summary>
    public Stream OpenStaged(StagedBlob staged) => OpenStagedFile(staged);

    static Stream OpenStagedFile(StagedBlob staged)
    {
        var path = staged.TempPath ?? throw new InvalidOperationException($"blob {staged.Id} is no longer staged");
        var file = LocalFileReader.OpenRead(path);
        return staged.Compressed ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    public bool Exists(BlobId id) => File.Exists(PathFor(id, true)) || File.Exists(PathFor(id, false));

    /// <summary>Opens the uncompressed content of a blob.</summary>
    public Stream OpenRead(BlobId id) => TryOpenRead(id) ?? throw new BlobNotFoundException(id);

    /// <summary>
    /// The content of <paramref name="id"/>, or null when there is no file for it, read in place on the
    /// caller's thread (<see cref="LocalFileStream"/>). Given the content's <paramref name="length"/>, the
    /// file is looked for first under the name content of that length is stored under now (compressed
    /// only above <see cref="UncompressedUpTo"/>), then under the other, which older files may have.
    /// </summary>
    public Stream? TryOpenRead(BlobId id, long? length = null)
    {
        var compressedFirst = length is not { } known || known > UncompressedUpTo;
        if (compressedFirst && TryOpenCompressed(id) is { } compressed)
            return compressed;
        if (LocalFileReader.TryOpenRead(PathFor(id, false)) is { } plain)
            return plain;
        return compressedFirst ? null : TryOpenCompressed(id);
    }

    Stream? TryOpenCompressed(BlobId id) =>
        LocalFileReader.TryOpenRead(PathFor(id, true)) is { } file ? new GZipStream(file, CompressionMode.Decompress) : null;

    /// <summary>Writes content that is already known (a conversion from database storage) straight to its final name.</summary>
    public async Task WriteAsync(BlobId id, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        if (Exists(id))
            return;
        using var staged = await StageAsync(new MemoryStream(content.ToArray(), writable: false), cancellationToken);
        if (staged.Id != id)
            throw new InvalidDataException($"content does not match blob id {id} (hashes to {staged.Id})");
        Place(staged);
    }

    public DateTimeOffset LastWriteTime(BlobId id)
    {
        var compressed = PathFor(id, true);
        return File.Exists(compressed) ? File.GetLastWriteTimeUtc(compressed) : File.GetLastWriteTimeUtc(PathFor(id, false));
    }

    /// <summary>Removes the file of <paramref name="id"/>, if there is one (content kept in the database has none, nor its directory).</summary>
    public void Delete(BlobId id)
    {
        var compressed = PathFor(id, true);
        if (!Directory.Exists(Path.GetDirectoryName(compressed)))
            return;
        File.Delete(compressed);
        File.Delete(PathFor(id, false));
    }

    /// <summary>Every blob id present on disk.</summary>
    public IEnumerable<BlobId> EnumerateIds()
    {
        if (!Directory.Exists(root))
            yield break;
        foreach (var path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(CompressedSuffix, StringComparison.Ordinal))
                name = name[..^CompressedSuffix.Length];
            if (BlobId.IsValid(name))
                yield return new BlobId(name);
        }
    }

    /// <summary>Removes temporary files older than <paramref name="age"/> left by interrupted writes.</summary>
    public int RemoveStaleTemporaryFiles(TimeSpan age, DateTimeOffset now)
    {
        var removed = 0;
        foreach (var path in Directory.EnumerateFiles(tempDirectory, "*.tmp"))
        {
            if (now - File.GetLastWriteTimeUtc(path) < age)
                continue;
            try { File.Delete(path); removed++; } catch (IOException) { }
        }
        return removed;
    }

    string PathFor(BlobId id, bool compressed)
    {
        var v = id.Value;
        return Path.Combine(root, v[..2], v[2..4], compressed ? v + CompressedSuffix : v);
    }

    /// <summary>Creates the fan-out directories, making each new entry durable in its parent.</summary>
    void EnsureDurableDirectory(string directory)
    {
        if (Directory.Exists(directory))
            return;
        var parent = Path.GetDirectoryName(directory)!;
        if (!string.Equals(parent, root, StringComparison.Ordinal))
            EnsureDurableDirectory(parent);
        Directory.CreateDirectory(directory);
        FlushDirectory(parent);
    }

    static void FlushDirectory(string directory)
    {
        // A rename is durable only once the directory entry is on disk.
        if (!OperatingSystem.IsWindows())
            DirectorySync.Flush(directory);
    }
}

public sealed class BlobNotFoundException(BlobId id) : Exception($"blob {id} is missing from the blob store")
{
    public BlobId Id { get; } = id;
}
