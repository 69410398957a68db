using System.Text;
using Rookery.Blobs;

namespace Rookery.Store.Tests;

static class Messages
{
    public static byte[] Make(string subject, int bodyBytes = 200, string from = "alice@example.com")
    {
        var body = new string('x', bodyBytes);
        return Encoding.UTF8.GetBytes($"From: {from}\r\nTo: bob@example.com\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@example.com>\r\n\r\n{body}\r\n");
    }

    public static async Task<AppendResult> AppendAsync(this IMailStore store, long folderId, byte[] content, AppendRequest? request = null)
    {
        using var staged = await store.StageAsync(new MemoryStream(content));
        return await store.AppendAsync(folderId, staged, request ?? new AppendRequest());
    }

    public static async Task<byte[]> ReadAllAsync(this IMailStore store, ItemInfo item)
    {
        await using var stream = await store.OpenContentAsync(item);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public static async Task<FolderInfo> InboxAsync(this IMailStore store, long storeId) =>
        (await store.ListFoldersAsync(storeId)).Single(f => f.SpecialUse == SpecialUse.Inbox);

    public static BlobId Id(byte[] content) => BlobId.Compute(content);
}
