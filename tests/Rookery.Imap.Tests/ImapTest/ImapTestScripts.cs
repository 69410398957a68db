using System.Collections.Concurrent;
using Rookery.Directory;
using Rookery.Store.Tests;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>
/// The server every script of the class runs against: Rookery on the test database engine, or
/// the server in ROOKERY_IMAPTEST_SERVER. Scripts share it one after another, as imaptest
/// shares a real server: each starts by deleting what the one before left.
/// </summary>
public sealed class ImapTestFixture : IAsyncLifetime
{
    ImapHarness? harness;
    readonly ConcurrentDictionary<string, ScriptResult> results = new(StringComparer.Ordinal);

    internal ScriptCorpus Corpus { get; } = ScriptCorpus.Locate();
    internal IImapTestServer Server { get; private set; } = null!;
    /// <summary>Rookery's list; another server is held to passing everything it advertises.</summary>
    internal KnownFailures Known { get; private set; } = KnownFailures.None;
    internal IReadOnlyCollection<ScriptResult> Results => results.Values.ToList();
    internal string SummaryPath { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (TcpServer.FromEnvironment() is { } tcp)
        {
            Server = tcp;
            SummaryPath = Path.Combine(AppContext.BaseDirectory, "imaptest-summary-tcp.md");
            return;
        }
        harness = await ImapHarness.CreateAsync();
        // a second IMAP user for the scripts whose "user 2:" line asks for one
        await harness.Repository.CreateUserAsync("db", "carol", new PasswordHasher(10_000).Hash("pw"), new UserUpdate { Email = "carol@example.com" });
        Server = new InProcessServer($"Rookery ({TestDatabase.EngineName})", harness.Session(), [new("alice", "pw"), new("carol", "pw")]);
        Known = KnownFailures.Load(Path.Combine(AppContext.BaseDirectory, "ImapTest", KnownFailures.FileName));
        SummaryPath = Path.Combine(AppContext.BaseDirectory, $"imaptest-summary-{TestDatabase.EngineName}.md");
    }

    internal async Task<ScriptResult> RunAsync(string name)
    {
        var result = await new ScriptRunner(Server, Corpus, new RunnerOptions()).RunAsync(name, CancellationToken.None);
        results[name] = result;
        return result;
    }

    internal Task WriteSummaryAsync() => File.WriteAllTextAsync(SummaryPath, SummaryReport.Markdown(Server.Name, Results, Known));

    public async Task DisposeAsync()
    {
        // also when the summary test was filtered out
        if (!results.IsEmpty)
            await WriteSummaryAsync();
        if (harness is not null)
            await harness.DisposeAsync();
    }
}

/// <summary>
/// Dovecot's imaptest scripts (shared/conformance/imaptest), one test per script: a script must
/// pass unless known-failures.txt lists it, must not pass if it does, and is not applicable when
/// the server's CAPABILITY lacks what its header requires.
/// </summary>
[TestCaseOrderer("Rookery.Imap.Tests.ImapTest.SummaryLastOrderer", "Rookery.Imap.Tests")]
public sealed class ImapTestScripts(ImapTestFixture fixture, ITestOutputHelper output) : IClassFixture<ImapTestFixture>
{
    public static TheoryData<string> Scripts => new(ScriptCorpus.Locate().ScriptNames());

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Script(string name)
    {
        var result = await fixture.RunAsync(name);
        output.WriteLine($"{name} against {fixture.Server.Name}: {SummaryReport.Status(result, fixture.Known)} in {result.Elapsed.TotalMilliseconds:0} ms");
        output.WriteLine(result.Detail);
        if (fixture.Known.Reasons.TryGetValue(name, out var reason))
            output.WriteLine($"known failure: {reason}");
        if (fixture.Known.Verdict(result) is { } failure)
            Assert.Fail(failure);
    }

    /// <summary>Runs after the scripts (see <see cref="SummaryLastOrderer"/>) and reports them all.</summary>
    [Fact]
    public async Task Summary()
    {
        var names = fixture.Corpus.ScriptNames();
        var stale = fixture.Known.Reasons.Keys.Where(n => !names.Contains(n)).ToList();
        Assert.True(stale.Count == 0, $"{KnownFailures.FileName} names scripts that do not exist: {string.Join(", ", stale)}");
        var results = fixture.Results;
        if (results.Count == 0)
        {
            output.WriteLine("no script ran in this process");
            return;
        }
        output.WriteLine(SummaryReport.Text(results, fixture.Known));
        await fixture.WriteSummaryAsync();
        output.WriteLine($"written to {fixture.SummaryPath}");
    }
}

/// <summary>Puts <see cref="ImapTestScripts.Summary"/> after the scripts, so it sees their results.</summary>
public sealed class SummaryLastOrderer : ITestCaseOrderer
{
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name == nameof(ImapTestScripts.Summary) ? 1 : 0)
            .ThenBy(t => t.DisplayName, StringComparer.Ordinal);
}
