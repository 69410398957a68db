namespace Rookery.Blobs;

/// <summary>
/// Blob objects as files (attachment_storage = files): <c>root/ab/cd/&lt;name&gt;</c>, fanned out by the first four
/// characters of the name, written under <c>root/tmp</c> first and renamed into place after an fsync, the rename
/// made durable by an fsync of its directory.
/// </summary>
public sealed class FileBlobStore : IBlobBackend
{
    const string StagingSuffix = ".tmp";
    readonly string root;
    readonly string tempDirectory;

    /// <param name="root">attachment_path</param>
    public FileBlobStore(string root)
    {
        this.root = Path.GetFullPath(root);
        tempDirectory = Path.Combine(this.root, "tmp");
        Directory.CreateDirectory(tempDirectory);
    }

    public string Root => root;

    public string Location => root;

    public Stream CreateStaging(out string stagingName)
    {
        stagingName = Guid.NewGuid().ToString("N");
        return LocalFileStream.CreateNew(StagingPath(stagingName));
    }

    public Stream OpenStaging(string stagingName) => LocalFileReader.OpenRead(StagingPath(stagingName));

    public void Place(string stagingName, string name)
    {
        var stagingPath = StagingPath(stagingName);
        var target = PathFor(name);
        var directory = Path.GetDirectoryName(target)!;
        EnsureDurableDirectory(directory);
        // the content is on disk before its name is: a power cut leaves the object whole or not there
        using (var written = File.OpenHandle(stagingPath, FileMode.Open, FileAccess.ReadWrite))
            RandomAccess.FlushToDisk(written);
        File.Move(stagingPath, target, overwrite: true);
        FlushDirectory(directory);
    }

    public void DiscardStaging(string stagingName)
    {
        try { File.Delete(StagingPath(stagingName)); } catch (IOException) { } // a leftover is removed by RemoveStaleStaging
    }

    public bool Exists(string name) => File.Exists(PathFor(name));

    /// <summary>The object read in place on the caller's thread (<see cref="LocalFileStream"/>), or null.</summary>
    public Stream? TryOpenRead(string name) => LocalFileReader.TryOpenRead(PathFor(name));

    public void Delete(string name)
    {
        var path = PathFor(name);
        // content kept in the database has no file, nor a directory
        if (Directory.Exists(Path.GetDirectoryName(path)))
            File.Delete(path);
    }

    public DateTimeOffset LastWriteTime(string name)
    {
        var path = PathFor(name);
        return File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTimeOffset.MinValue;
    }

    public IEnumerable<string> EnumerateNames()
    {
        if (!Directory.Exists(root))
            yield break;
        foreach (var directory in Directory.EnumerateDirectories(root))
        {
            if (string.Equals(directory, tempDirectory, StringComparison.Ordinal))
                continue;
            foreach (var path in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
                yield return Path.GetFileName(path);
        }
    }

    public int RemoveStaleStaging(TimeSpan age, DateTimeOffset now)
    {
        var removed = 0;
        foreach (var path in Directory.EnumerateFiles(tempDirectory, "*" + StagingSuffix))
        {
            if (now - File.GetLastWriteTimeUtc(path) < age)
                continue;
            try { File.Delete(path); removed++; } catch (IOException) { }
        }
        return removed;
    }

    string StagingPath(string stagingName) => Path.Combine(tempDirectory, stagingName + StagingSuffix);

    string PathFor(string name)
    {
        if (name.Length < 5 || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.StartsWith('.'))
            throw new ArgumentException($"not a blob object name: {name}", nameof(name));
        return Path.Combine(root, name[..2], name[2..4], name);
    }

    /// <summary>Creates the fan-out directories, making each new entry durable in its parent.</summary>
    void EnsureDurableDirectory(string directory)
    {
        if (Directory.Exists(directory))
            return;
        var parent = Path.GetDirectoryName(directory)!;
        if (!string.Equals(parent, root, StringComparison.Ordinal))
            EnsureDurableDirectory(parent);
        Directory.CreateDirectory(directory);
        FlushDirectory(parent);
    }

    static void FlushDirectory(string directory)
    {
        // A rename is durable only once the directory entry is on disk.
        if (!OperatingSystem.IsWindows())
            DirectorySync.Flush(directory);
    }
}

public sealed class BlobNotFoundException(BlobId id) : Exception($"blob {id} is missing from the blob store")
{
    public BlobId Id { get; } = id;
}
