using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Rookery.Blobs;

/// <summary>
/// The blob policy above any backend (<see cref="IBlobBackend"/>): content is named by its SHA-256
/// (<see cref="BlobId"/>), so identical content — one message to many recipients, a message appended again — is
/// stored once; content longer than <see cref="UncompressedUpTo"/> is gzip-compressed at attachment_compression
/// before the backend sees it (object <c>&lt;id&gt;.gz</c>, else <c>&lt;id&gt;</c>); content is staged, then
/// placed by the transaction that references it. References and collection are the store's, above this.
/// </summary>
public sealed class ContentAddressedStore
{
    const string CompressedSuffix = ".gz";
    readonly IBlobBackend backend;
    readonly int compressionLevel;

    /// <param name="compressionLevel">attachment_compression, 0 (none) to 9</param>
    public ContentAddressedStore(IBlobBackend backend, int compressionLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(compressionLevel, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(compressionLevel, 9);
        this.backend = backend;
        this.compressionLevel = compressionLevel;
    }

    /// <summary>Files under <paramref name="root"/> (attachment_path), compressed at <paramref name="compressionLevel"/>.</summary>
    public static ContentAddressedStore Files(string root, int compressionLevel) => new(new FileBlobStore(root), compressionLevel);

    public IBlobBackend Backend => backend;

    public string Location => backend.Location;

    /// <summary>
    /// Content up to this size is stored uncompressed whatever attachment_compression says: it fills one
    /// filesystem block compressed or not, so compressing it saves no disk and costs a decompression on
    /// every read (a client's message list reads every header).
    /// </summary>
    public const int UncompressedUpTo = 4096;

    static string NameOf(BlobId id, bool compressed) => compressed ? id.Value + CompressedSuffix : id.Value;

    /// <summary>
    /// Hashes <paramref name="content"/> and writes it to a staging object of the backend, compressed when it is
    /// long enough; the object is made durable only when it is placed (<see cref="Place"/>): content that is stored
    /// already never pays for an fsync.
    /// </summary>
    public async Task<StagedBlob> StageAsync(Stream content, CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // a pooled buffer: the copy writes in large chunks, and a delivery does not allocate 128 KB of them
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        string? stagingName = null;
        try
        {
            // the first block decides whether the content is small enough to keep uncompressed
            var length = 0;
            int read;
            while (length <= UncompressedUpTo && (read = await content.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
                length += read;
            var compress = compressionLevel != 0 && length > UncompressedUpTo;
            await using var staging = backend.CreateStaging(out var name);
            stagingName = name;
            Stream sink = compress ? new GZipStream(staging, new ZLibCompressionOptions { CompressionLevel = compressionLevel }, leaveOpen: true) : staging;
            long total = 0;
            for (read = length; read > 0; read = await content.ReadAsync(buffer, cancellationToken))
            {
                hash.AppendData(buffer, 0, read);
                total += read;
                await sink.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            if (!ReferenceEquals(sink, staging))
                await sink.DisposeAsync();
            return new StagedBlob(BlobId.FromHash(hash.GetHashAndReset()), total, backend, name, null, compress);
        }
        catch
        {
            if (stagingName is not null)
                backend.DiscardStaging(stagingName);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
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

    /// <summary>Reads back staged content that is not placed yet (uncompressed).</summary>
    public Stream OpenStaged(StagedBlob staged)
    {
        var name = staged.StagingName ?? throw new InvalidOperationException($"blob {staged.Id} is no longer staged");
        var stream = backend.OpenStaging(name);
        return staged.Compressed ? new GZipStream(stream, CompressionMode.Decompress) : stream;
    }

    /// <summary>
    /// Places a staged blob under its id ahead of the transaction that will reference it, when no identical content
    /// is there yet; otherwise leaves it staged for <see cref="Place"/>. The backend's durable write then happens on
    /// the writer's own thread instead of inside the transaction (where, on SQLite, every writer of the process
    /// waits for it). An object whose transaction never commits is an orphan the collector registers and removes.
    /// </summary>
    public void PlaceAhead(StagedBlob staged)
    {
        lock (staged)
        {
            if (staged.StagingName is not null && !Exists(staged.Id))
                PlaceLocked(staged);
        }
    }

    /// <summary>
    /// Places a staged blob under its id unless identical content is already there. Call it inside the
    /// transaction that references the blob, before commit.
    /// </summary>
    public void Place(StagedBlob staged)
    {
        // one staged message may be appended to several stores at once
        lock (staged)
            PlaceLocked(staged);
    }

    void PlaceLocked(StagedBlob staged)
    {
        var stagingName = staged.StagingName;
        if (stagingName is null)
        {
            // placed by an earlier append of the same content, whose transaction may have failed since
            if (!Exists(staged.Id))
                throw new InvalidOperationException($"blob {staged.Id} was placed and then removed before it was referenced");
            return;
        }
        if (Exists(staged.Id))
        {
            staged.Dispose();
            return;
        }
        backend.Place(stagingName, NameOf(staged.Id, staged.Compressed));
        staged.StagingName = null;
    }

    /// <summary>Writes content known in full (a conversion from database storage) under its id, checking the id.</summary>
    public async Task WriteAsync(BlobId id, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        if (Exists(id))
            return;
        using var staged = await StageAsync(new MemoryStream(content.ToArray(), writable: false), cancellationToken);
        if (staged.Id != id)
            throw new InvalidDataException($"content does not match blob id {id} (hashes to {staged.Id})");
        Place(staged);
    }

    public bool Exists(BlobId id) => backend.Exists(NameOf(id, true)) || backend.Exists(NameOf(id, false));

    /// <summary>The uncompressed content of a blob.</summary>
    public Stream OpenRead(BlobId id) => TryOpenRead(id) ?? throw new BlobNotFoundException(id);

    /// <summary>
    /// The uncompressed content of <paramref name="id"/>, or null when the backend has none. Given the content's
    /// <paramref name="length"/>, it is looked for first under the name content of that length is stored under now
    /// (compressed only above <see cref="UncompressedUpTo"/>), then under the other, which older objects may have.
    /// </summary>
    public Stream? TryOpenRead(BlobId id, long? length = null)
    {
        var compressedFirst = length is not { } known || known > UncompressedUpTo;
        if (compressedFirst && TryOpenCompressed(id) is { } compressed)
            return compressed;
        if (backend.TryOpenRead(NameOf(id, false)) is { } plain)
            return plain;
        return compressedFirst ? null : TryOpenCompressed(id);
    }

    Stream? TryOpenCompressed(BlobId id) =>
        backend.TryOpenRead(NameOf(id, true)) is { } stream ? new GZipStream(stream, CompressionMode.Decompress) : null;

    /// <summary>Removes the content of <paramref name="id"/>, under either name.</summary>
    public void Delete(BlobId id)
    {
        backend.Delete(NameOf(id, true));
        backend.Delete(NameOf(id, false));
    }

    public DateTimeOffset LastWriteTime(BlobId id)
    {
        var compressed = backend.LastWriteTime(NameOf(id, true));
        return compressed != DateTimeOffset.MinValue ? compressed : backend.LastWriteTime(NameOf(id, false));
    }

    /// <summary>Every blob id the backend holds content for (objects of other names are not blobs).</summary>
    public IEnumerable<BlobId> EnumerateIds()
    {
        foreach (var name in backend.EnumerateNames())
        {
            var id = name.EndsWith(CompressedSuffix, StringComparison.Ordinal) ? name[..^CompressedSuffix.Length] : name;
            if (BlobId.IsValid(id))
                yield return new BlobId(id);
        }
    }

    /// <summary>Removes staged content older than <paramref name="age"/> left by interrupted writes.</summary>
    public int RemoveStaleTemporaryFiles(TimeSpan age, DateTimeOffset now) => backend.RemoveStaleStaging(age, now);
}
