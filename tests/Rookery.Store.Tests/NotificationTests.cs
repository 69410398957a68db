using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

public sealed class NotificationTests
{
    [Fact]
    public async Task A_commit_in_another_process_reaches_subscribers_here_within_the_poll_interval()
    {
        await using var test = await TestDatabase.CreateAsync();
        var writer = test.CreateStore(); // "the other process": its own Database and notifier
        var info = await writer.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var inbox = await writer.InboxAsync(info.Id);

        var database = new Database(test.Settings);
        await using var notifier = new DatabaseChangeNotifier(database, TimeSpan.FromMilliseconds(100));
        using var subscription = notifier.Subscribe(info.Id);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        // the first poll wakes the subscriber once: it cannot know what the subscriber saw
        await subscription.Reader.ReadAsync(timeout.Token);

        var appended = await writer.AppendAsync(inbox.Id, Messages.Make("from elsewhere"));

        StoreChanged change;
        do
            change = await subscription.Reader.ReadAsync(timeout.Token);
        while (change.ModSeq < appended.ModSeq);
        Assert.Equal(new StoreChanged(info.Id, appended.ModSeq), change);
    }

    [Fact]
    public void A_subscriber_is_left_the_highest_modseq_when_commits_are_published_out_of_order()
    {
        // two commits of one store published from two threads: the later publish may be the older commit
        var notifier = new ChangeNotifier();
        using var subscription = notifier.Subscribe(7);
        notifier.Publish(new StoreChanged(7, 12));
        notifier.Publish(new StoreChanged(7, 11));
        Assert.True(subscription.Reader.TryRead(out var change));
        Assert.Equal(new StoreChanged(7, 12), change);
        Assert.False(subscription.Reader.TryRead(out _));
        notifier.Publish(new StoreChanged(7, 11));
        Assert.True(subscription.Reader.TryRead(out change)); // once read, any change wakes the subscriber again
        Assert.Equal(11, change.ModSeq);
    }

    [Fact]
    public async Task Local_commits_are_published_at_once_and_unsubscribed_stores_are_not_polled()
    {
        await using var test = await TestDatabase.CreateAsync();
        await using var notifier = new DatabaseChangeNotifier(test.Database, TimeSpan.FromHours(1));
        var store = new SqlMailStore(test.Database, test.CreateBlobs(), new FixedQuotaPolicy(QuotaLimits.None), notifier);
        var info = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        var inbox = await store.InboxAsync(info.Id);

        using (var subscription = notifier.Subscribe(info.Id))
        {
            var appended = await store.AppendAsync(inbox.Id, Messages.Make("local"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            Assert.Equal(new StoreChanged(info.Id, appended.ModSeq), await subscription.Reader.ReadAsync(timeout.Token));
        }
        var after = notifier.Subscribe(info.Id);
        after.Dispose();
        after.Dispose(); // twice is harmless
        Assert.False(after.Reader.TryRead(out _));
    }
}
