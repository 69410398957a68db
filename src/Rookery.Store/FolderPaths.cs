namespace Rookery.Store;

/// <summary>Folder paths such as <c>Public Stores/public</c>: names from the top of a store, separated by '/'.</summary>
public static class FolderPaths
{
    /// <summary>The names of a path; empty segments (doubled or outer slashes) are skipped, as the original does.</summary>
    public static IReadOnlyList<string> Split(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// Finds the folder at <paramref name="path"/> in a store, creating the missing folders on the
    /// way as mail folders. Safe against another delivery creating the same folder at the same time.
    /// </summary>
    public static async Task<FolderInfo> EnsureAsync(IMailStore store, long storeId, string path, CancellationToken cancellationToken = default)
    {
        var names = Split(path);
        if (names.Count == 0)
            throw new FolderOperationException($"'{path}' names no folder");
        var folders = await store.ListFoldersAsync(storeId, cancellationToken);
        FolderInfo? current = null;
        foreach (var name in names)
        {
            var parentId = current?.Id;
            var existing = Child(folders, parentId, name);
            if (existing is null)
            {
                try
                {
                    existing = await store.CreateFolderAsync(storeId, parentId, name, ContainerClass.Mail, cancellationToken);
                }
                catch (FolderOperationException)
                {
                    // Someone else created it meanwhile; anything else is a real error and shows below.
                    folders = await store.ListFoldersAsync(storeId, cancellationToken);
                    existing = Child(folders, parentId, name) ?? throw new FolderOperationException($"cannot create folder '{name}' of '{path}'");
                }
            }
            current = existing;
        }
        return current!;
    }

    static FolderInfo? Child(IReadOnlyList<FolderInfo> folders, long? parentId, string name) =>
        folders.FirstOrDefault(f => f.ParentId == parentId && string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
}
