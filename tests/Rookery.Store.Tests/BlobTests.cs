using Rookery.Blobs;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

public sealed class BlobTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    public async Task Files_round_trip_at_every_compression_level(int level)
    {
        var root = Path.Combine(Path.GetTempPath(), "rookery_blobs_" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = ContentAddressedStore.Files(root, level);
            var content = Messages.Make("compress me", 20_000);
            using var staged = await files.StageAsync(new MemoryStream(content));
            Assert.Equal(BlobId.Compute(content), staged.Id);
            files.Place(staged);
            await using var read = files.OpenRead(staged.Id);
            using var buffer = new MemoryStream();
            await read.CopyToAsync(buffer);
            Assert.Equal(content, buffer.ToArray());
            Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(root, "tmp")));
            var onDisk = System.IO.Directory.GetFiles(root, staged.Id.Value + "*", SearchOption.AllDirectories).Single();
            Assert.Equal(Path.Combine(root, staged.Id.Value[..2], staged.Id.Value[2..4]), Path.GetDirectoryName(onDisk));
            if (level > 0)
                Assert.True(new FileInfo(onDisk).Length < content.Length / 4);
        }
        finally
        {
            System.IO.Directory.Delete(root, true);
        }
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(ContentAddressedStore.UncompressedUpTo, false)]
    [InlineData(ContentAddressedStore.UncompressedUpTo + 1, true)]
    [InlineData(70_000, true)] // more than the first read
    public async Task Content_that_fits_one_block_is_stored_uncompressed(int length, bool compressed)
    {
        var root = Path.Combine(Path.GetTempPath(), "rookery_blobs_" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = ContentAddressedStore.Files(root, 6);
            var content = new byte[length];
            for (var i = 0; i < length; i++)
                content[i] = (byte)('a' + i % 7);
            // a stream that hands out a few bytes per read, as a network stream may
            using var staged = await files.StageAsync(new TrickleStream(content, 1000));
            Assert.Equal(BlobId.Compute(content), staged.Id);
            Assert.Equal(length, staged.Length);
            await using (var beforePlacing = files.OpenStaged(staged))
                Assert.Equal(content, await ReadAllAsync(beforePlacing));
            files.Place(staged);
            var onDisk = System.IO.Directory.GetFiles(root, staged.Id.Value + "*", SearchOption.AllDirectories).Single();
            Assert.Equal(compressed, onDisk.EndsWith(".gz", StringComparison.Ordinal));
            Assert.Equal(compressed ? 0 : length, compressed ? 0 : new FileInfo(onDisk).Length);
            await using var read = files.OpenRead(staged.Id);
            Assert.Equal(content, await ReadAllAsync(read));
        }
        finally
        {
            System.IO.Directory.Delete(root, true);
        }
    }

    /// <summary>The length a reader passes only says which name to look under first: every blob is found with any length or none.</summary>
    [Fact]
    public async Task A_blob_is_found_under_either_name_whatever_length_the_reader_gives()
    {
        var root = Path.Combine(Path.GetTempPath(), "rookery_blobs_" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = ContentAddressedStore.Files(root, 6);
            var large = Messages.Make("large", 20_000); // stored compressed
            var small = Messages.Make("small", 100);    // stored as it is
            foreach (var content in new[] { large, small })
            {
                using var staged = await files.StageAsync(new MemoryStream(content));
                files.Place(staged);
            }
            // small content an older version stored compressed
            var old = Messages.Make("old", 100);
            var oldId = BlobId.Compute(old);
            var oldPath = Path.Combine(root, oldId.Value[..2], oldId.Value[2..4], oldId.Value + ".gz");
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(oldPath)!);
            await using (var gz = new System.IO.Compression.GZipStream(File.Create(oldPath), System.IO.Compression.CompressionLevel.Optimal))
                await gz.WriteAsync(old);

            foreach (var content in new[] { large, small, old })
            {
                foreach (var length in new long?[] { null, content.Length, 10, 1_000_000 })
                {
                    await using var read = files.TryOpenRead(BlobId.Compute(content), length);
                    Assert.NotNull(read);
                    using var buffer = new MemoryStream();
                    await read.CopyToAsync(buffer);
                    Assert.Equal(content, buffer.ToArray());
                }
            }
            Assert.Null(files.TryOpenRead(BlobId.Compute("never stored"u8.ToArray()), 100));
        }
        finally
        {
            System.IO.Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Blob files are opened without FileStream (and without an exception for the usual miss of the compressed name).</summary>
    [Fact]
    public async Task Blob_files_open_as_seekable_streams_and_a_missing_one_is_reported_without_leaking()
    {
        var root = Path.Combine(Path.GetTempPath(), "rookery_blobs_" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = ContentAddressedStore.Files(root, 6);
            var missing = BlobId.Compute("never stored"u8.ToArray());
            Assert.Null(files.TryOpenRead(missing)); // not even its shard directory exists
            Assert.Throws<BlobNotFoundException>(() => files.OpenRead(missing));

            var content = new byte[3000];
            for (var i = 0; i < content.Length; i++)
                content[i] = (byte)(i % 251);
            using (var staged = await files.StageAsync(new MemoryStream(content)))
                files.Place(staged);
            var id = BlobId.Compute(content);
            Assert.Null(files.TryOpenRead(BlobId.Compute("a neighbour in no shard"u8.ToArray())));

            var openBefore = OpenDescriptors();
            for (var i = 0; i < 500; i++)
            {
                await using var read = files.OpenRead(id);
                Assert.True(read.CanSeek);
                Assert.Equal(content.Length, read.Length);
                read.Position = 2990;
                var tail = new byte[100];
                Assert.Equal(10, await read.ReadAsync(tail));
                Assert.Equal(content[2990..], tail[..10]);
                Assert.Equal(0, await read.ReadAsync(tail));
                read.Seek(-3000, SeekOrigin.End);
                Assert.Equal(content, await ReadAllAsync(read));
            }
            if (openBefore >= 0)
                Assert.InRange(OpenDescriptors(), 0, openBefore + 5);
        }
        finally
        {
            System.IO.Directory.Delete(root, true);
        }

        static int OpenDescriptors() => System.IO.Directory.Exists("/proc/self/fd") ? System.IO.Directory.GetFiles("/proc/self/fd").Length : -1;
    }

    static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>Returns at most <paramref name="chunk"/> bytes per read.</summary>
    sealed class TrickleStream(byte[] content, int chunk) : MemoryStream(content, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, chunk), cancellationToken);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    [Fact]
    public async Task A_staged_blob_that_is_never_placed_leaves_nothing_behind()
    {
        var root = Path.Combine(Path.GetTempPath(), "rookery_blobs_" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = ContentAddressedStore.Files(root, 6);
            using (await files.StageAsync(new MemoryStream(Messages.Make("abandoned")))) { }
            Assert.Empty(System.IO.Directory.GetFiles(root, "*", SearchOption.AllDirectories));
        }
        finally
        {
            System.IO.Directory.Delete(root, true);
        }
    }

    [Fact]
    public async Task Database_storage_keeps_content_in_the_database_and_converts_to_files()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore(storage: AttachmentStorage.Database);
        var alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var inbox = await store.InboxAsync(alice.Id);
        var contents = Enumerable.Range(0, 5).Select(i => Messages.Make($"db {i}", 1000 + i)).ToList();
        foreach (var content in contents)
            await store.AppendAsync(inbox.Id, content);
        var blobs = test.CreateBlobs();
        Assert.Empty(blobs.Files.EnumerateIds());

        var reports = new List<(long, long)>();
        Assert.Equal(5, await blobs.ConvertDatabaseBlobsToFilesAsync(new SyncProgress(reports)));
        Assert.Equal((5L, 5L), reports[^1]);

        Assert.Equal(5, blobs.Files.EnumerateIds().Count());
        var items = await store.ListItemsAsync(inbox.Id);
        Assert.Equal(contents, await Task.WhenAll(items.Select(i => store.ReadAllAsync(i))));
        Assert.Equal(0, await blobs.ConvertDatabaseBlobsToFilesAsync());
    }

    [Fact]
    public async Task Files_storage_keeps_content_below_attachment_files_min_size_in_the_database()
    {
        await using var test = await TestDatabase.CreateAsync();
        const int minSize = 3000;
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var store = test.CreateStore(filesMinSize: minSize, time: time);
        var alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var inbox = await store.InboxAsync(alice.Id);
        var small = Messages.Make("small", 1000);
        var exact = Messages.Make("exact", 0);
        exact = Messages.Make("exact", minSize - exact.Length);
        var large = Messages.Make("large", 20_000);
        Assert.Equal(minSize, exact.Length);

        // arriving a few bytes per read, as from a socket: only the first minSize bytes decide
        var uids = new List<long>();
        foreach (var content in new[] { small, exact, large })
        {
            using var staged = await store.StageAsync(new TrickleStream(content, 700));
            Assert.Equal(Messages.Id(content), staged.Id);
            uids.Add((await store.AppendAsync(inbox.Id, staged, new AppendRequest())).Uid);
        }
        Assert.Equal(new[] { Messages.Id(exact).Value, Messages.Id(large).Value }.Order(), test.CreateBlobs().Files.EnumerateIds().Select(i => i.Value).Order());
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(test.BlobPath, "tmp")));
        var items = await store.ListItemsAsync(inbox.Id);
        Assert.Equal([small, exact, large], await Task.WhenAll(items.Select(i => store.ReadAllAsync(i))));

        // read back by a server that keeps everything in files now, and converted: the small one stays where it is
        var allFiles = test.CreateStore();
        Assert.Equal([small, exact, large], await Task.WhenAll(items.Select(i => allFiles.ReadAllAsync(i))));
        Assert.Equal(0, await test.CreateBlobs(storage: AttachmentStorage.Database, filesMinSize: minSize).ConvertDatabaseBlobsToFilesAsync());

        // the same small content again shares the kept row, and once nothing references it the collector removes it
        var again = await store.AppendAsync(inbox.Id, small);
        Assert.Equal(small, await store.ReadAllAsync((await store.GetItemAsync(inbox.Id, again.Uid))!));
        await store.ExpungeAsync(inbox.Id, [uids[0], again.Uid]);
        time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await test.CreateBlobs(time: time, filesMinSize: minSize).CollectAsync(TimeSpan.FromHours(1)));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => test.CreateBlobs(filesMinSize: minSize).OpenReadAsync(Messages.Id(small).Value, CancellationToken.None, small.Length));
        Assert.Equal([exact, large], await Task.WhenAll((await store.ListItemsAsync(inbox.Id)).Select(i => store.ReadAllAsync(i))));
    }

    [Fact]
    public async Task Conversion_resumes_after_an_interruption()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore(storage: AttachmentStorage.Database);
        var alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var inbox = await store.InboxAsync(alice.Id);
        for (var i = 0; i < 4; i++)
            await store.AppendAsync(inbox.Id, Messages.Make($"resume {i}"));
        var blobs = test.CreateBlobs();

        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress([], report => { if (report.Done == 2) cancel.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blobs.ConvertDatabaseBlobsToFilesAsync(progress, cancel.Token));
        Assert.Equal(2, await blobs.ConvertDatabaseBlobsToFilesAsync());
        foreach (var item in await store.ListItemsAsync(inbox.Id))
            Assert.NotEmpty(await store.ReadAllAsync(item));
    }

    sealed class SyncProgress(List<(long, long)> reports, Action<(long Done, long Total)>? onReport = null) : IProgress<(long Done, long Total)>
    {
        public void Report((long Done, long Total) value)
        {
            reports.Add(value);
            onReport?.Invoke(value);
        }
    }
}
