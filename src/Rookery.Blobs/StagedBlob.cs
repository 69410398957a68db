namespace Rookery.Blobs;

/// <summary>
/// Content that has been hashed and written to a staging object of a backend (made durable when it is placed), or
/// kept in memory for the database, waiting for the transaction that references it. Disposing a staged blob that
/// was never placed removes its staging object.
/// </summary>
public sealed class StagedBlob : IDisposable
{
    readonly IBlobBackend? backend;

    internal StagedBlob(BlobId id, long length, IBlobBackend? backend, string? stagingName, byte[]? content, bool compressed = false)
    {
        Id = id;
        Length = length;
        this.backend = backend;
        StagingName = stagingName;
        Content = content;
        Compressed = compressed;
    }

    public BlobId Id { get; }

    /// <summary>Uncompressed length in bytes.</summary>
    public long Length { get; }

    /// <summary>Whether the staging object holds the content gzip-compressed.</summary>
    internal bool Compressed { get; }

    /// <summary>The backend's staging object holding the (possibly compressed) content, until it is placed.</summary>
    internal string? StagingName { get; set; }

    /// <summary>The content itself, when the blob is kept in memory for database storage.</summary>
    public byte[]? Content { get; }

    public void Dispose()
    {
        if (StagingName is { } name)
        {
            StagingName = null;
            backend?.DiscardStaging(name);
        }
    }
}
