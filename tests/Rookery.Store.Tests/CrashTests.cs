using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

public sealed class CrashTests
{
    [Fact]
    public async Task Every_acknowledged_append_survives_kill_9_and_nothing_references_a_partial_blob()
    {
        await using var test = await TestDatabase.CreateAsync();
        var acknowledged = new Dictionary<long, string>();
        var random = new Random(20261123);
        for (var round = 0; round < 4; round++)
        {
            var killAfter = random.Next(3, 25);
            foreach (var (uid, sha) in await RunUntilKilledAsync(test, killAfter, round, random))
                Assert.True(acknowledged.TryAdd(uid, sha), $"uid {uid} was acknowledged twice");
        }
        Assert.True(acknowledged.Count >= 12);

        var store = test.CreateStore();
        var crash = await store.FindStoreAsync(StoreKind.Private, "crash");
        Assert.NotNull(crash);
        var inbox = await store.InboxAsync(crash.Id);
        var items = await store.ListItemsAsync(inbox.Id);
        var byUid = items.ToDictionary(i => i.Uid);

        foreach (var (uid, sha) in acknowledged)
        {
            Assert.True(byUid.TryGetValue(uid, out var item), $"acknowledged uid {uid} is missing after kill -9");
            Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(await store.ReadAllAsync(item))));
        }
        // Items committed but killed before their ACK was printed are fine; every item must be whole.
        foreach (var item in items)
            Assert.Equal(item.BlobId, Convert.ToHexStringLower(SHA256.HashData(await store.ReadAllAsync(item))));
        Assert.Equal(items.Sum(i => i.Size), (await store.GetStoreAsync(crash.Id)).Size);

        // Temporary files of interrupted writes are removed by the collector; referenced blobs stay.
        await test.CreateBlobs().CollectAsync(TimeSpan.Zero);
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(test.BlobPath, "tmp")));
        foreach (var item in items)
            Assert.NotEmpty(await store.ReadAllAsync(item));
    }

    [Fact]
    public async Task Every_acknowledged_state_change_survives_kill_9_though_its_fsync_may_follow_the_acknowledgement()
    {
        await using var test = await TestDatabase.CreateAsync();
        Assert.True(test.Settings.Engine != DatabaseEngine.Sqlite || test.Settings.StateSyncDelay > TimeSpan.Zero, "the deferred fsync is what this test is about");
        var keywords = new List<(long Uid, string Keyword)>();
        var expunged = new List<long>();
        var random = new Random(20261124);
        for (var round = 0; round < 4; round++)
        {
            foreach (var line in await RunUntilKilledAsync(test, random.Next(5, 60), round, random, "state"))
            {
                var parts = line.Split(' ');
                var uid = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                if (parts[0] == "KEYWORD")
                    keywords.Add((uid, parts[2]));
                else if (parts[0] == "EXPUNGED")
                    expunged.Add(uid);
            }
        }
        Assert.NotEmpty(expunged);

        var store = test.CreateStore();
        var crash = await store.FindStoreAsync(StoreKind.Private, "crash");
        var inbox = await store.InboxAsync(crash!.Id);
        var items = (await store.ListItemsAsync(inbox.Id)).ToDictionary(i => i.Uid);
        foreach (var (uid, keyword) in keywords)
            Assert.True(items.TryGetValue(uid, out var item) && item.Keywords.Contains(keyword), $"acknowledged keyword {keyword} of uid {uid} is missing after kill -9");
        foreach (var uid in expunged)
            Assert.False(items.ContainsKey(uid), $"acknowledged expunge of uid {uid} was undone by kill -9");
    }

    static async Task<List<(long Uid, string Sha)>> RunUntilKilledAsync(TestDatabase test, int killAfter, int seed, Random random)
    {
        var lines = await RunUntilKilledAsync(test, killAfter, seed, random, "append");
        return [.. lines.Select(line => line.Split(' ')).Select(parts => (long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2]))];
    }

    /// <summary>Runs the crash writer until it has acknowledged <paramref name="killAfter"/> writes, then kills it; returns its acknowledgement lines.</summary>
    static async Task<List<string>> RunUntilKilledAsync(TestDatabase test, int killAfter, int seed, Random random, string mode)
    {
        var writer = Path.Combine(AppContext.BaseDirectory, "Rookery.CrashWriter.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(writer);
        start.ArgumentList.Add(JsonSerializer.Serialize(test.Settings));
        start.ArgumentList.Add(test.BlobPath);
        start.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(mode);
        using var process = Process.Start(start)!;
        var acks = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line is "READY" || line.Length == 0)
                    continue;
                acks.Add(line);
                if (acks.Count >= killAfter)
                {
                    // Kill at a random moment after the acknowledgement: mid-stage, mid-transaction or idle.
                    await Task.Delay(random.Next(0, 30));
                    break;
                }
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true); // SIGKILL on Linux
            await process.WaitForExitAsync(CancellationToken.None);
        }
        if (acks.Count < killAfter)
            Assert.Fail($"crash writer stopped after {acks.Count} acknowledgements: {await process.StandardError.ReadToEndAsync()}");
        return acks;
    }
}
