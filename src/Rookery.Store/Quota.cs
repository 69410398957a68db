namespace Rookery.Store;

/// <summary>Quota levels in bytes; 0 means no limit at that level.</summary>
public sealed record QuotaLimits(long Warn, long Soft, long Hard)
{
    public static QuotaLimits None { get; } = new(0, 0, 0);

    public static QuotaLimits FromMebibytes(long warn, long soft, long hard) =>
        new(warn * 1024 * 1024, soft * 1024 * 1024, hard * 1024 * 1024);

    public QuotaStatus StatusFor(long size) =>
        Hard > 0 && size > Hard ? QuotaStatus.HardExceeded
        : Soft > 0 && size > Soft ? QuotaStatus.SoftExceeded
        : Warn > 0 && size > Warn ? QuotaStatus.Warning
        : QuotaStatus.Ok;
}

public enum QuotaStatus
{
    Ok,
    Warning,
    SoftExceeded,
    HardExceeded,
}

/// <summary>Says which quota applies to a store: a user's override or the server defaults.</summary>
public interface IQuotaPolicy
{
    ValueTask<QuotaLimits> GetLimitsAsync(StoreInfo store, CancellationToken cancellationToken);
}

public sealed class FixedQuotaPolicy(QuotaLimits limits) : IQuotaPolicy
{
    public ValueTask<QuotaLimits> GetLimitsAsync(StoreInfo store, CancellationToken cancellationToken) => ValueTask.FromResult(limits);
}

/// <summary>A write would take the store past its hard quota; nothing was stored.</summary>
public sealed class QuotaExceededException(long storeId, long size, long hard)
    : Exception($"store {storeId} would grow to {size} bytes, over its hard quota of {hard} bytes")
{
    public long StoreId { get; } = storeId;
    public long Size { get; } = size;
    public long Hard { get; } = hard;
}

public sealed class StoreObjectNotFoundException(string what) : Exception($"{what} does not exist");

/// <summary>A folder operation that the store refuses (duplicate name, deleting a default folder, moving into a descendant).</summary>
public sealed class FolderOperationException(string message) : Exception(message);
