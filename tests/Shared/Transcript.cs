using System.IO.Pipelines;
using System.Text;

namespace Rookery.Testing;

/// <summary>Two pipes as one connection, for running a session in memory.</summary>
sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;
    public PipeWriter Output { get; } = output;
}

/// <summary>
/// Runs a C:/S: transcript against a session over in-memory pipes. Consecutive C: lines are
/// sent in one write (pipelining); each S: line must match the next line the server sends
/// (a trailing * matches any rest of the line, … matches anything anywhere). A "! name" line
/// sends what is pending and runs the test's action of that name, for changes made from outside
/// the session at that point. "S: &lt;closed&gt;" expects the server to have ended the connection.
/// "S? " marks a line the server may or may not send (one that depends on which of two sessions wins a
/// race): it is taken when the next line matches it and otherwise left for the lines after it.
/// </summary>
sealed class Transcript
{
    /// <param name="encoding">How lines are sent and read: Latin-1 (one character per octet) unless a test needs UTF-8.</param>
    public static async Task RunAsync(Func<IDuplexPipe, Task> session, string script, Encoding? encoding = null, Func<string, Task>? actions = null)
    {
        encoding ??= Encoding.Latin1;
        var toServer = new Pipe();
        var toClient = new Pipe();
        var running = session(new DuplexPipe(toServer.Reader, toClient.Writer));
        using var reader = new StreamReader(toClient.Reader.AsStream(), encoding);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var pending = new StringBuilder();
        var lineNumber = 0;
        string? held = null;
        async Task<string?> NextLineAsync()
        {
            if (held is { } line)
            {
                held = null;
                return line;
            }
            return await reader.ReadLineAsync(timeout.Token);
        }
        foreach (var raw in script.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            lineNumber++;
            if (raw.Length == 0 || raw.StartsWith('#'))
                continue;
            if (raw.StartsWith("C: ", StringComparison.Ordinal) || raw == "C:")
            {
                pending.Append(raw.Length > 3 ? raw[3..] : "").Append("\r\n");
                continue;
            }
            if (raw.StartsWith("! ", StringComparison.Ordinal))
            {
                if (pending.Length > 0)
                {
                    await toServer.Writer.WriteAsync(encoding.GetBytes(pending.ToString()), timeout.Token);
                    pending.Clear();
                }
                await (actions ?? throw new FormatException($"transcript line {lineNumber}: '{raw}' names an action, but the test has none"))(raw[2..]);
                continue;
            }
            var optional = raw.StartsWith("S? ", StringComparison.Ordinal);
            if (!optional && !raw.StartsWith("S: ", StringComparison.Ordinal))
                throw new FormatException($"transcript line {lineNumber}: '{raw}' is neither C: nor S:");
            if (pending.Length > 0)
            {
                await toServer.Writer.WriteAsync(encoding.GetBytes(pending.ToString()), timeout.Token);
                pending.Clear();
            }
            var expected = raw[3..];
            if (expected == "<closed>")
            {
                var more = await NextLineAsync();
                Assert.True(more is null, $"transcript line {lineNumber}: expected the connection to be closed, got '{more}'");
                continue;
            }
            var actual = await NextLineAsync() ?? throw new Xunit.Sdk.XunitException($"transcript line {lineNumber}: connection closed, expected '{expected}'");
            var matches = Matches(expected, actual);
            if (optional)
            {
                if (!matches)
                    held = actual;
                continue;
            }
            Assert.True(matches, $"transcript line {lineNumber}: expected '{expected}', got '{actual}'");
        }
        if (pending.Length > 0)
            await toServer.Writer.WriteAsync(encoding.GetBytes(pending.ToString()), timeout.Token);
        await toServer.Writer.CompleteAsync();
        await running.WaitAsync(timeout.Token);
    }

    static bool Matches(string expected, string actual)
    {
        if (expected.EndsWith('*'))
            expected = expected[..^1] + "…";
        var pieces = expected.Split('…');
        if (pieces.Length == 1)
            return actual == expected;
        if (!actual.StartsWith(pieces[0], StringComparison.Ordinal) || !actual.EndsWith(pieces[^1], StringComparison.Ordinal))
            return false;
        var at = pieces[0].Length;
        foreach (var piece in pieces[1..^1])
        {
            var found = actual.IndexOf(piece, at, StringComparison.Ordinal);
            if (found < 0)
                return false;
            at = found + piece.Length;
        }
        return at <= actual.Length - pieces[^1].Length;
    }
}
