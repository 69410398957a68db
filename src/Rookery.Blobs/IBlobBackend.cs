namespace Rookery.Blobs;

/// <summary>
/// Where content-addressed blobs live: files under attachment_path today (<see cref="FileBlobStore"/>), an
/// S3-compatible object store later. Content is staged first (hashed, written under a temporary name), placed
/// under its id inside the transaction that references it, and read back whole; references, deduplication and
/// collection are the store's, above it.
/// </summary>
public interface IBlobBackend
{
    /// <summary>Where the blobs are, for the banner and the log (a directory, a bucket).</summary>
    string Location { get; }

    /// <summary>
    /// Hashes <paramref name="content"/> and writes it under a temporary name; content shorter than
    /// <paramref name="inMemoryBelow"/> bytes is kept in memory instead (<see cref="StagedBlob.Content"/>), for the database.
    /// </summary>
    Task<StagedBlob> StageAsync(Stream content, int inMemoryBelow, CancellationToken cancellationToken = default);

    /// <summary>Reads back staged content that is not placed yet.</summary>
    Stream OpenStaged(StagedBlob staged);

    /// <summary>Places staged content ahead of its transaction when nothing is there under its id yet (an orphan if it never commits).</summary>
    void PlaceAhead(StagedBlob staged);

    /// <summary>Makes staged content durable under its id, unless identical content is there already.</summary>
    void Place(StagedBlob staged);

    /// <summary>Writes content known in full (a conversion from database storage) under its id, checking the id.</summary>
    Task WriteAsync(BlobId id, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    bool Exists(BlobId id);

    /// <summary>The content of a blob, or null when there is none; <paramref name="length"/>, when known, may spare a lookup.</summary>
    Stream? TryOpenRead(BlobId id, long? length = null);

    void Delete(BlobId id);

    DateTimeOffset LastWriteTime(BlobId id);

    /// <summary>Every blob id present.</summary>
    IEnumerable<BlobId> EnumerateIds();

    /// <summary>Removes staged content older than <paramref name="age"/> left by interrupted writes.</summary>
    int RemoveStaleTemporaryFiles(TimeSpan age, DateTimeOffset now);
}
