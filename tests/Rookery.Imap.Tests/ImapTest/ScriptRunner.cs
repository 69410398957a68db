using System.Diagnostics;

namespace Rookery.Imap.Tests.ImapTest;

enum ScriptOutcome { Passed, Failed, NotApplicable }

/// <param name="Detail">For a failure the first mismatch; for N/A what the server lacks.</param>
sealed record ScriptResult(string Name, ScriptOutcome Outcome, string Detail, TimeSpan Elapsed);

/// <param name="Mailbox">$mailbox; imaptest's default name, deleted (with everything below and beside it) before each test.</param>
sealed record RunnerOptions(string Mailbox = "imaptest", TimeSpan? CommandTimeout = null)
{
    public TimeSpan Timeout => CommandTimeout ?? TimeSpan.FromSeconds(10);
}

/// <summary>Runs scripts of the corpus against a server, one at a time.</summary>
sealed class ScriptRunner(IImapTestServer server, ScriptCorpus corpus, RunnerOptions options)
{
    public async Task<ScriptResult> RunAsync(string name, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        ScriptResult Result(ScriptOutcome outcome, string detail) => new(name, outcome, detail, clock.Elapsed);
        ImapTestScript script;
        try
        {
            script = corpus.Load(name);
        }
        catch (ScriptFormatException e)
        {
            return Result(ScriptOutcome.Failed, "unreadable script: " + e.Message);
        }
        var run = new ScriptRun(script, server, corpus.Messages(name), options);
        try
        {
            await run.ExecuteAsync(cancellationToken);
            return Result(ScriptOutcome.Passed, $"{run.CommandsRun} commands");
        }
        catch (ScriptNotApplicableException e)
        {
            return Result(ScriptOutcome.NotApplicable, e.Message);
        }
        catch (ScriptFailedException e)
        {
            return Result(ScriptOutcome.Failed, e.Message);
        }
        finally
        {
            await run.DisposeAsync();
        }
    }
}

/// <summary>The script cannot run here: the server lacks a capability, or a login the script needs.</summary>
sealed class ScriptNotApplicableException(string message) : Exception(message);

/// <summary>The first reply that differs from what the script expects.</summary>
sealed class ScriptFailedException(string message) : Exception(message);
