namespace Rookery.Store.Tests;

public sealed class QuotaTests
{
    [Fact]
    public async Task Append_over_hard_quota_is_refused_and_stores_nothing()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore(new QuotaLimits(0, 0, 1000));
        var alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var inbox = await store.InboxAsync(alice.Id);
        await store.AppendAsync(inbox.Id, Messages.Make("fits", 300));
        var before = await store.GetStoreAsync(alice.Id);
        var tooBig = Messages.Make("too big", 800);

        await Assert.ThrowsAsync<QuotaExceededException>(() => store.AppendAsync(inbox.Id, tooBig));

        var after = await store.GetStoreAsync(alice.Id);
        Assert.Equal(before.Size, after.Size);
        Assert.Single(await store.ListItemsAsync(inbox.Id));
        Assert.Equal(2, (await store.GetFolderAsync(inbox.Id)).UidNext);
        Assert.Empty(await store.GetChangesAsync(alice.Id, before.ModSeq));
        Assert.False(test.CreateBlobs().Files.Exists(Messages.Id(tooBig)));
    }

    [Fact]
    public async Task Appending_several_is_all_or_nothing()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore(new QuotaLimits(0, 0, 1000));
        var alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var inbox = await store.InboxAsync(alice.Id);
        byte[] small = Messages.Make("one", 100), same = small, other = Messages.Make("two", 100), big = Messages.Make("three", 600);
        var staged = new List<Blobs.StagedBlob>();
        foreach (var content in new[] { small, same, other, big })
            staged.Add(await store.StageAsync(new MemoryStream(content)));
        try
        {
            var before = await store.GetStoreAsync(alice.Id);
            await Assert.ThrowsAsync<QuotaExceededException>(() => store.AppendManyAsync(inbox.Id, [.. staged.Select(b => (b, new AppendRequest()))]));
            Assert.Empty(await store.ListItemsAsync(inbox.Id));
            Assert.Empty(await store.GetChangesAsync(alice.Id, before.ModSeq));

            var results = await store.AppendManyAsync(inbox.Id, [.. staged.Take(3).Select(b => (b, new AppendRequest()))]);
            Assert.Equal([1L, 2L, 3L], results.Select(r => r.Uid));
            Assert.Single(results.Select(r => r.ModSeq).Distinct()); // one transaction
            var items = await store.ListItemsAsync(inbox.Id);
            Assert.Equal([small, same, other], await Task.WhenAll(items.OrderBy(i => i.Uid).Select(i => store.ReadAllAsync(i))));
        }
        finally
        {
            staged.ForEach(b => b.Dispose());
        }
    }

    [Fact]
    public async Task Copy_over_hard_quota_is_refused()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore(new QuotaLimits(0, 0, 1000));
        var alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var inbox = await store.InboxAsync(alice.Id);
        var a = await store.AppendAsync(inbox.Id, Messages.Make("half", 500));
        var other = await store.CreateFolderAsync(alice.Id, null, "Other", ContainerClass.Mail);

        await Assert.ThrowsAsync<QuotaExceededException>(() => store.CopyItemsAsync(inbox.Id, [a.Uid], other.Id));
        Assert.Empty(await store.ListItemsAsync(other.Id));
    }

    [Fact]
    public async Task Store_size_stays_exact_under_concurrent_appends_up_to_the_quota()
    {
        await using var test = await TestDatabase.CreateAsync();
        var store = test.CreateStore(new QuotaLimits(0, 0, 20_000));
        var alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var inbox = await store.InboxAsync(alice.Id);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            try
            {
                await store.AppendAsync(inbox.Id, Messages.Make($"m{i}", 900));
                return true;
            }
            catch (QuotaExceededException)
            {
                return false;
            }
        })));

        var items = await store.ListItemsAsync(inbox.Id);
        var size = (await store.GetStoreAsync(alice.Id)).Size;
        Assert.Equal(outcomes.Count(ok => ok), items.Count);
        Assert.Equal(items.Sum(i => i.Size), size);
        Assert.True(size <= 20_000);
        Assert.Contains(false, outcomes);
    }

    [Theory]
    [InlineData(50, QuotaStatus.Ok)]
    [InlineData(81, QuotaStatus.Warning)]
    [InlineData(91, QuotaStatus.SoftExceeded)]
    [InlineData(101, QuotaStatus.HardExceeded)]
    public void Quota_levels_are_reported_in_order(long size, QuotaStatus expected) =>
        Assert.Equal(expected, new QuotaLimits(80, 90, 100).StatusFor(size));
}
