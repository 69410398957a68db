using System.Security.Cryptography;

namespace Rookery.Blobs;

/// <summary>Stages content in memory, for attachment_storage = database.</summary>
public static class MemoryStaging
{
    public static async Task<StagedBlob> StageAsync(Stream content, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        return Stage(buffer.ToArray());
    }

    /// <summary>Stages <paramref name="bytes"/>, which the blob keeps (the caller must not change them).</summary>
    public static StagedBlob Stage(byte[] bytes) => new(BlobId.FromHash(SHA256.HashData(bytes)), bytes.Length, null, null, bytes);
}
