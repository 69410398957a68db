using System.Collections.Concurrent;
using Rookery.Blobs;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

/// <summary>
/// The blob policy — content addressing (identical content stored once), compression, staging then placing — sits
/// above the backend (<see cref="IBlobBackend"/>): over a backend that is not files at all, it and the store behave
/// as over files.
/// </summary>
public sealed class BlobBackendTests : IAsyncLifetime
{
    /// <summary>Objects in memory, as an object store would keep them: opaque bytes by name.</summary>
    sealed class MemoryBackend : IBlobBackend
    {
        public ConcurrentDictionary<string, byte[]> Objects { get; } = new(StringComparer.Ordinal);
        public ConcurrentDictionary<string, MemoryStream> Staging { get; } = new(StringComparer.Ordinal);

        public string Location => "memory";

        public Stream CreateStaging(out string stagingName)
        {
            stagingName = Guid.NewGuid().ToString("N");
            return Staging[stagingName] = new MemoryStream();
        }

        public Stream OpenStaging(string stagingName) => new MemoryStream(Staging[stagingName].ToArray(), writable: false);

        public void Place(string stagingName, string name)
        {
            Assert.True(Staging.TryRemove(stagingName, out var staged), "placed twice");
            Objects[name] = staged.ToArray();
        }

        public void DiscardStaging(string stagingName) => Staging.TryRemove(stagingName, out _);

        public bool Exists(string name) => Objects.ContainsKey(name);

        public Stream? TryOpenRead(string name) => Objects.TryGetValue(name, out var bytes) ? new MemoryStream(bytes, writable: false) : null;

        public void Delete(string name) => Objects.TryRemove(name, out _);

        public DateTimeOffset LastWriteTime(string name) => Objects.ContainsKey(name) ? DateTimeOffset.UtcNow.AddDays(-1) : DateTimeOffset.MinValue;

        public IEnumerable<string> EnumerateNames() => Objects.Keys.ToList();

        public int RemoveStaleStaging(TimeSpan age, DateTimeOffset now) => 0;
    }

    TestDatabase test = null!;
    readonly MemoryBackend backend = new();

    public async Task InitializeAsync() => test = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await test.DisposeAsync();

    static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        await using (stream)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            return buffer.ToArray();
        }
    }

    [Fact]
    public async Task Identical_content_is_one_object_and_long_content_is_compressed_before_the_backend_sees_it()
    {
        var blobs = new ContentAddressedStore(backend, 6);
        var large = Messages.Make("large", 20_000);
        var small = Messages.Make("small", 100);

        for (var copy = 0; copy < 3; copy++)
        {
            using var staged = await blobs.StageAsync(new MemoryStream(large));
            Assert.Equal(Messages.Id(large), staged.Id);
            blobs.Place(staged);
        }
        using (var staged = await blobs.StageAsync(new MemoryStream(small)))
            blobs.Place(staged);

        // three appends of one content, one object; nothing left staged
        Assert.Equal(new[] { Messages.Id(large).Value + ".gz", Messages.Id(small).Value }.Order(StringComparer.Ordinal), backend.Objects.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(backend.Staging);
        Assert.True(backend.Objects[Messages.Id(large).Value + ".gz"].Length < large.Length / 4);
        Assert.Equal(small, backend.Objects[Messages.Id(small).Value]); // one filesystem block: not worth compressing
        Assert.Equal(large, await ReadAllAsync(blobs.OpenRead(Messages.Id(large))));
        Assert.Equal(small, await ReadAllAsync(blobs.TryOpenRead(Messages.Id(small), small.Length)!));
        Assert.Equal(new[] { Messages.Id(large), Messages.Id(small) }.Select(i => i.Value).Order(), blobs.EnumerateIds().Select(i => i.Value).Order());

        blobs.Delete(Messages.Id(large));
        Assert.False(blobs.Exists(Messages.Id(large)));
        Assert.Null(blobs.TryOpenRead(Messages.Id(large)));
    }

    [Fact]
    public async Task A_staged_blob_that_is_never_placed_leaves_nothing_behind()
    {
        var blobs = new ContentAddressedStore(backend, 6);
        using (var staged = await blobs.StageAsync(new MemoryStream(Messages.Make("abandoned", 10_000))))
            Assert.Single(backend.Staging);
        Assert.Empty(backend.Staging);
        Assert.Empty(backend.Objects);
    }

    [Fact]
    public async Task The_mail_store_runs_over_another_backend_and_collects_there()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var blobs = new BlobStorage(test.Database, AttachmentStorage.Files, new ContentAddressedStore(backend, 6), clock);
        var store = new SqlMailStore(test.Database, blobs, new FixedQuotaPolicy(QuotaLimits.None), new ChangeNotifier(), clock);
        var alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var inbox = await store.InboxAsync(alice.Id);
        var content = Messages.Make("over memory", 30_000);

        var first = await store.AppendAsync(inbox.Id, content);
        var second = await store.AppendAsync(inbox.Id, content);

        Assert.Single(backend.Objects);
        foreach (var uid in new[] { first.Uid, second.Uid })
        {
            var item = await store.GetItemAsync(inbox.Id, uid);
            Assert.Equal(content, await ReadAllAsync(await store.OpenContentAsync(item!)));
        }
        await store.SetFlagsAsync(inbox.Id, [first.Uid, second.Uid], new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await store.ExpungeAsync(inbox.Id, [first.Uid, second.Uid]);
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await blobs.CollectAsync(TimeSpan.FromHours(1)));
        Assert.Empty(backend.Objects);
    }
}
