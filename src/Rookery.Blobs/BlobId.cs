using System.Security.Cryptography;

namespace Rookery.Blobs;

/// <summary>The identity of a blob: the lower-case hex SHA-256 of its uncompressed content.</summary>
public readonly record struct BlobId
{
    public BlobId(string value)
    {
        if (!IsValid(value))
            throw new ArgumentException($"'{value}' is not a SHA-256 blob id", nameof(value));
        Value = value;
    }

    public string Value { get; }

    public static BlobId FromHash(ReadOnlySpan<byte> sha256) => new(Convert.ToHexStringLower(sha256));

    public static BlobId Compute(ReadOnlySpan<byte> content) => FromHash(SHA256.HashData(content));

    public static bool IsValid(string? value) =>
        value is { Length: 64 } && value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public override string ToString() => Value;
}
