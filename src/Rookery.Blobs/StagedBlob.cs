namespace Rookery.Blobs;

/// <summary>
/// Content that has been hashed and written under a temporary name (fsynced when it is placed),
/// waiting for the transaction that references it. Disposing a staged blob that was never placed removes it.
/// </summary>
public sealed class StagedBlob : IDisposable
{
    internal StagedBlob(BlobId id, long length, string? tempPath, byte[]? content, bool compressed = false)
    {
        Id = id;
        Length = length;
        TempPath = tempPath;
        Content = content;
        Compressed = compressed;
    }

    public BlobId Id { get; }

    /// <summary>Uncompressed length in bytes.</summary>
    public long Length { get; }

    /// <summary>Whether the temporary file holds the content gzip-compressed.</summary>
    internal bool Compressed { get; }

    /// <summary>The temporary file holding the (possibly compressed) content, for file storage.</summary>
    internal string? TempPath { get; set; }

    /// <summary>The content itself, when the blob is kept in memory for database storage.</summary>
    public byte[]? Content { get; }

    public void Dispose()
    {
        if (TempPath is { } path)
        {
            TempPath = null;
            try { File.Delete(path); } catch (IOException) { } // a leftover temp file is collected later
        }
    }
}
