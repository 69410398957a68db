namespace Rookery.Store.Tests;

/// <summary>
/// A big folder's item states are kept after the first listing and brought forward by the change log: the
/// listing must always be what the database holds, whatever changed in between and whoever changed it (this
/// store object or another one on the same database, as another Rookery process would be).
/// </summary>
public sealed class FolderStatesTests : IAsyncLifetime
{
    TestDatabase test = null!;
    Sql.SqlMailStore store = null!;
    Sql.SqlMailStore other = null!;
    FolderInfo inbox = null!;
    FolderInfo archive = null!;

    public async Task InitializeAsync()
    {
        test = await TestDatabase.CreateAsync();
        store = test.CreateStore();
        other = test.CreateStore();
        var alice = await store.EnsureStoreAsync(StoreKind.Private, "alice", "en");
        inbox = await store.InboxAsync(alice.Id);
        archive = await store.CreateFolderAsync(alice.Id, null, "Archive", ContainerClass.Mail);
    }

    public async Task DisposeAsync() => await test.DisposeAsync();

    static async Task AppendManyAsync(IMailStore to, long folderId, int count, string prefix)
    {
        var staged = new List<Blobs.StagedBlob>();
        try
        {
            var batch = new List<(Blobs.StagedBlob, AppendRequest)>();
            for (var i = 0; i < count; i++)
            {
                var blob = await to.StageAsync(new MemoryStream(Messages.Make($"{prefix} {i}", bodyBytes: 20)));
                staged.Add(blob);
                batch.Add((blob, new AppendRequest { Keywords = i % 7 == 0 ? ["$Label1"] : [] }));
            }
            await to.AppendManyAsync(folderId, batch);
        }
        finally
        {
            foreach (var blob in staged)
                blob.Dispose();
        }
    }

    static string Show(IEnumerable<ItemState> states) =>
        string.Join('\n', states.Select(s => $"{s.Uid} {s.ModSeq} {(int)s.Flags} {string.Join(',', s.Keywords)}"));

    /// <summary>The listing (kept states brought forward) against every row read afresh (changed since 0).</summary>
    async Task AssertListingIsTheDatabasesAsync(string step)
    {
        var listed = Show(await store.ListItemStatesAsync(inbox.Id));
        var fresh = Show(await store.ListItemStatesAsync(inbox.Id, changedSince: 0));
        Assert.True(fresh == listed, $"after {step}: the kept states differ from the database");
    }

    [Fact]
    public async Task A_big_folders_listing_follows_every_kind_of_change_from_this_process_and_another()
    {
        await AppendManyAsync(store, inbox.Id, 2_400, "first");
        await AssertListingIsTheDatabasesAsync("the first listing");
        var random = new Random(5);
        for (var round = 0; round < 40; round++)
        {
            var writer = round % 3 == 0 ? other : store;
            var uids = (await store.ListItemStatesAsync(inbox.Id, changedSince: 0)).Select(s => s.Uid).ToList();
            var some = uids.OrderBy(_ => random.Next()).Take(random.Next(1, 40)).ToList();
            string step;
            switch (round % 6)
            {
                case 0:
                    await writer.SetFlagsAsync(inbox.Id, some, new FlagChange(FlagOperation.Add, MessageFlags.Seen | MessageFlags.Flagged, [$"$kw{round}"]));
                    step = "a flag and keyword change";
                    break;
                case 1:
                    await writer.ExpungeAsync(inbox.Id, some);
                    step = "an expunge";
                    break;
                case 2:
                    await writer.MoveItemsAsync(inbox.Id, some, archive.Id);
                    step = "a move out";
                    break;
                case 3:
                    var archived = (await store.ListItemStatesAsync(archive.Id, changedSince: 0)).Select(s => s.Uid).Take(10).ToList();
                    if (archived.Count > 0)
                        await writer.MoveItemsAsync(archive.Id, archived, inbox.Id);
                    step = "a move in";
                    break;
                case 4:
                    await AppendManyAsync(writer, inbox.Id, random.Next(1, 30), $"round {round}");
                    step = "appends";
                    break;
                default:
                    await writer.SetFlagsAsync(inbox.Id, some, new FlagChange(FlagOperation.Replace, MessageFlags.Answered, []));
                    step = "flags replaced";
                    break;
            }
            await AssertListingIsTheDatabasesAsync($"round {round}: {step} by {(writer == store ? "this process" : "another")}");
        }
    }

    [Fact]
    public async Task A_deleted_folder_is_not_listed_from_what_was_kept()
    {
        var big = await store.CreateFolderAsync(inbox.StoreId, null, "Big", ContainerClass.Mail);
        await AppendManyAsync(store, big.Id, 2_050, "big");
        Assert.Equal(2_050, (await store.ListItemStatesAsync(big.Id)).Count);
        await other.DeleteFolderAsync(big.Id);
        Assert.Empty(await store.ListItemStatesAsync(big.Id, changedSince: 0));
        Assert.Empty(await store.ListItemStatesAsync(big.Id));
    }
}
