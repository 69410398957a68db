using System.Security.Cryptography;

namespace Rookery.Blobs;

/// <summary>Stages content in memory, for attachment_storage = database.</summary>
public static class MemoryStaging
{
    public static async Task<StagedBlob> StageAsync(Stream content, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.ToArray();
        return new StagedBlob(BlobId.FromHash(SHA256.HashData(bytes)), bytes.Length, null, bytes);
    }
}
