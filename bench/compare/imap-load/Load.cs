using System.Diagnostics;
using System.Globalization;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MimeKit;

namespace ImapLoad;

/// <summary>The IMAP commands of one cycle, in the order a client sends them.</summary>
enum Op { Select, FetchHeaders, FetchBody, Store, Search, Append, Expunge, Idle }

/// <summary>
/// "populate" fills each user's INBOX with the corpus; "run" drives the mix from many clients and
/// writes per-command counts and latency percentiles.
/// </summary>
static class Load
{
    static readonly int OpCount = Enum.GetValues<Op>().Length;

    static async Task<ImapClient> ConnectAsync(Options o, string user, CancellationToken ct)
    {
        var client = new ImapClient();
        try
        {
            await client.ConnectAsync(o.Host, o.Port, SecureSocketOptions.None, ct);
            await client.AuthenticateAsync(user, o.Password, ct);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Appends the first N corpus messages to every user's INBOX that does not hold them yet.</summary>
    public static async Task<int> PopulateAsync(Options o)
    {
        var corpus = Corpus.Load(o.Mbox);
        var wanted = o.Messages;
        var failed = 0;
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, o.Users), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (u, ct) =>
        {
            var user = o.UserName(u);
            try
            {
                using var client = await ConnectAsync(o, user, ct);
                var inbox = client.Inbox;
                await inbox.OpenAsync(FolderAccess.ReadWrite, ct);
                var have = inbox.Count;
                for (var i = have; i < wanted; i++)
                    await inbox.AppendAsync(new AppendRequest(corpus[i % corpus.Count]), ct);
                await inbox.StatusAsync(StatusItems.Count, ct);
                if (inbox.Count != wanted)
                {
                    Console.Error.WriteLine($"{o.Label}: {user} has {inbox.Count} messages, wanted {wanted}");
                    Interlocked.Increment(ref failed);
                }
                await client.DisconnectAsync(true, ct);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"{o.Label}: populating {user} failed: {e.GetType().Name}: {e.Message}");
                Interlocked.Increment(ref failed);
            }
        });
        Console.Error.WriteLine($"{o.Label}: {o.Users} users x {wanted} messages ready in {watch.Elapsed.TotalSeconds:F1}s");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>One simulated mail client: its connection, the UIDs it may touch and what it measured.</summary>
    sealed class Client(int index, ImapClient imap, IList<UniqueId> uids)
    {
        public int Index { get; } = index;
        public ImapClient Imap { get; } = imap;
        public IList<UniqueId> Uids { get; } = uids;
        public List<long>[] Latencies { get; } = [.. Enumerable.Range(0, OpCount).Select(_ => new List<long>(4096))];
        public int[] Errors { get; } = new int[OpCount];
        public string? LastError { get; set; }
        public bool Broken { get; set; }
    }

    public static async Task<int> RunAsync(Options o)
    {
        var corpus = Corpus.Load(o.Mbox);
        var headerItems = new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.Size |
            MessageSummaryItems.InternalDate | MessageSummaryItems.Envelope | MessageSummaryItems.Headers);

        // Connect, log in, SELECT and learn the UIDs first, all clients, so the measurement starts with every session open.
        var clients = new Client[o.Clients];
        var connectWatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, o.Clients), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var imap = await ConnectAsync(o, o.UserName(i % o.Users), ct);
            await imap.Inbox.OpenAsync(FolderAccess.ReadWrite, ct);
            var uids = await imap.Inbox.SearchAsync(SearchQuery.All, ct);
            if (uids.Count == 0)
                throw new InvalidOperationException($"{o.UserName(i % o.Users)}'s INBOX is empty: populate first");
            clients[i] = new Client(i, imap, uids);
        });
        Console.Error.WriteLine($"{o.Label}: {o.Clients} clients connected in {connectWatch.Elapsed.TotalSeconds:F1}s");

        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(o.WarmupSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(o.Seconds * Stopwatch.Frequency);
        // The driver samples the servers' CPU time when these lines appear, so CPU per operation covers the measured window only.
        var window = Task.Run(async () =>
        {
            await Task.Delay(Stopwatch.GetElapsedTime(start, measureFrom));
            Console.WriteLine($"WINDOW START {F(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, "F2")}");
            await Task.Delay(Stopwatch.GetElapsedTime(measureFrom, measureTo));
            Console.WriteLine($"WINDOW END {F(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, "F2")}");
        });
        var cycles = await Task.WhenAll(clients.Select(c => Task.Run(() => DriveAsync(o, c, corpus, headerItems, measureFrom, measureTo))));
        await window;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        // The sessions stay open while the driver samples the servers' CPU after WINDOW END: a Dovecot imap
        // process that exits meanwhile may be gone from its process list before the master has reaped it,
        // and its CPU time would be counted nowhere.
        await Task.Delay(TimeSpan.FromSeconds(3));

        await Task.WhenAll(clients.Select(async c =>
        {
            try
            {
                if (!c.Broken)
                    await c.Imap.DisconnectAsync(true);
            }
            catch (Exception)
            {
                // logging out is not measured
            }
            c.Imap.Dispose();
        }));

        Report(o, clients, cycles.Sum(), cpu);
        return clients.Any(c => c.Broken) ? 1 : 0;
    }

    /// <summary>Runs cycles until the measurement window is over; stops only between cycles, so every APPEND is expunged again.</summary>
    static async Task<int> DriveAsync(Options o, Client c, Corpus corpus, IFetchRequest headerItems, long measureFrom, long measureTo)
    {
        var random = new Random(c.Index);
        var inbox = c.Imap.Inbox;
        var cycle = 0;
        var idleTicks = (long)(o.IdleMilliseconds / 1000.0 * Stopwatch.Frequency);
        while (!c.Broken && Stopwatch.GetTimestamp() < measureTo)
        {
            cycle++;
            var first = random.Next(c.Uids.Count);
            var range = Enumerable.Range(first, Math.Min(o.FetchRange, c.Uids.Count - first)).Select(k => c.Uids[k]).ToList();
            var target = c.Uids[random.Next(c.Uids.Count)];
            UniqueId? appended = null;

            await Timed(c, Op.Select, measureFrom, measureTo, 0, () => inbox.OpenAsync(FolderAccess.ReadWrite));
            await Timed(c, Op.FetchHeaders, measureFrom, measureTo, 0, () => inbox.FetchAsync(range, headerItems));
            await Timed(c, Op.FetchBody, measureFrom, measureTo, 0, async () =>
            {
                using var body = await inbox.GetStreamAsync(target, "");
            });
            // \Flagged on, then off in the client's next cycle: the mailboxes end as they started.
            await Timed(c, Op.Store, measureFrom, measureTo, 0, () => cycle % 2 == 1
                ? inbox.AddFlagsAsync(target, MessageFlags.Flagged, silent: false)
                : inbox.RemoveFlagsAsync(target, MessageFlags.Flagged, silent: false));
            await Timed(c, Op.Search, measureFrom, measureTo, 0, () => cycle % 2 == 1
                ? inbox.SearchAsync(SearchQuery.NotSeen)
                : inbox.SearchAsync(SearchQuery.SubjectContains("dovecot")));
            await Timed(c, Op.Append, measureFrom, measureTo, 0, async () =>
                appended = await inbox.AppendAsync(new AppendRequest(corpus[random.Next(corpus.Count)])));
            if (appended is { } uid)
            {
                // STORE \Deleted + UID EXPUNGE of the message this client appended: one "EXPUNGE" operation.
                await Timed(c, Op.Expunge, measureFrom, measureTo, 0, async () =>
                {
                    await inbox.AddFlagsAsync(uid, MessageFlags.Deleted, silent: true);
                    await inbox.ExpungeAsync([uid]);
                });
            }
            // IDLE for IdleMilliseconds; its latency is what it took beyond that (IDLE, "+ idling", DONE, OK).
            await Timed(c, Op.Idle, measureFrom, measureTo, idleTicks, async () =>
            {
                using var done = new CancellationTokenSource(o.IdleMilliseconds);
                await c.Imap.IdleAsync(done.Token);
            });
        }
        return cycle;
    }

    static async Task Timed(Client c, Op op, long measureFrom, long measureTo, long subtract, Func<Task> action)
    {
        if (c.Broken)
            return;
        var t0 = Stopwatch.GetTimestamp();
        try
        {
            await action();
        }
        catch (Exception e)
        {
            c.Errors[(int)op]++;
            c.LastError = $"{op}: {e.GetType().Name}: {e.Message}";
            if (e is ImapProtocolException or IOException or ServiceNotConnectedException or ServiceNotAuthenticatedException || !c.Imap.IsConnected)
                c.Broken = true;
            return;
        }
        var t1 = Stopwatch.GetTimestamp();
        if (t0 >= measureFrom && t0 < measureTo)
            c.Latencies[(int)op].Add(Math.Max(0, t1 - t0 - subtract));
    }

    static void Report(Options o, Client[] clients, int cycles, double clientCpu)
    {
        var lines = new List<string> { "label\tclients\tusers\tseconds\top\tcount\terrors\tops_per_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tclient_cpu_s\tcycles\tbroken" };
        var all = new List<long>();
        var errorsAll = 0;
        var broken = clients.Count(c => c.Broken);
        for (var k = 0; k <= OpCount; k++)
        {
            List<long> samples;
            int errors;
            string name;
            if (k < OpCount)
            {
                samples = [.. clients.SelectMany(c => c.Latencies[k])];
                errors = clients.Sum(c => c.Errors[k]);
                name = ((Op)k).ToString();
                all.AddRange(samples);
                errorsAll += errors;
            }
            else
            {
                samples = all;
                errors = errorsAll;
                name = "all";
            }
            samples.Sort();
            lines.Add(string.Join('\t', o.Label, o.Clients, o.Users, o.Seconds.ToString(CultureInfo.InvariantCulture), name, samples.Count, errors,
                F(samples.Count / o.Seconds, "F1"), Ms(samples, 0.50), Ms(samples, 0.90), Ms(samples, 0.99), Ms(samples, 1.0),
                F(clientCpu, "F2"), cycles, broken));
        }
        var text = string.Join('\n', lines) + "\n";
        if (o.Output.Length > 0)
            File.WriteAllText(o.Output, text);
        else
            Console.Write(text);
        foreach (var c in clients.Where(c => c.LastError is not null).Take(5))
            Console.Error.WriteLine($"{o.Label}: client {c.Index}: last error {c.LastError}");
    }

    static string Ms(List<long> sorted, double quantile)
    {
        if (sorted.Count == 0)
            return "0";
        var index = (int)Math.Ceiling(quantile * sorted.Count) - 1;
        return F(sorted[Math.Clamp(index, 0, sorted.Count - 1)] * 1000.0 / Stopwatch.Frequency, "F2");
    }

    static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
