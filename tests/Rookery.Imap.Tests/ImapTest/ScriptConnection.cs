using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>A command ready to go out: its tag and its text with variables expanded and literals still separate.</summary>
sealed record OutgoingCommand(string Tag, IReadOnlyList<Segment> Text)
{
    public override string ToString() => Tag + " " + Segments.Describe(Text, 60);
}

/// <summary>What came back for a group of commands: untagged responses in order, and the tagged reply of each.</summary>
sealed class Exchange
{
    public List<ServerResponse> Untagged { get; } = [];
    public Dictionary<string, ServerResponse> Tagged { get; } = new(StringComparer.Ordinal);
    /// <summary>Why the exchange stopped before every command had its tagged reply.</summary>
    public string? Error { get; set; }
}

/// <summary>
/// One client connection of a script. Literals are sent synchronising ({n}, then wait for "+"),
/// which every server accepts and which checks the server's continuation handling too; a command
/// the server refuses before its literal is never sent further.
/// </summary>
sealed class ScriptConnection : IAsyncDisposable
{
    readonly IImapTestTransport transport;
    readonly ResponseReader reader;

    ScriptConnection(IImapTestTransport transport)
    {
        this.transport = transport;
        reader = new ResponseReader(transport.Input);
    }

    public ServerResponse? Greeting { get; private set; }
    public bool Closed { get; private set; }

    public static async Task<ScriptConnection> OpenAsync(IImapTestServer server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var connection = new ScriptConnection(await server.ConnectAsync(cancellationToken));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            connection.Greeting = await connection.reader.ReadAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        connection.Closed = connection.Greeting is null;
        return connection;
    }

    public async Task<Exchange> ExecuteAsync(IReadOnlyList<OutgoingCommand> commands, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var exchange = new Exchange();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            foreach (var command in commands)
            {
                if (Closed)
                {
                    exchange.Error = "the connection is closed";
                    return exchange;
                }
                await SendAsync(command, commands, exchange, limit.Token);
            }
            foreach (var command in commands)
            {
                while (!exchange.Tagged.ContainsKey(command.Tag))
                {
                    if (!await ReceiveAsync(commands, exchange, limit.Token))
                    {
                        exchange.Error = $"the server closed the connection before the tagged reply to {command.Tag}";
                        return exchange;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            exchange.Error = $"no tagged reply within {timeout.TotalSeconds:0}s";
        }
        return exchange;
    }

    async Task SendAsync(OutgoingCommand command, IReadOnlyList<OutgoingCommand> group, Exchange exchange, CancellationToken cancellationToken)
    {
        var output = transport.Output;
        Write(command.Tag + " ");
        foreach (var segment in command.Text)
        {
            if (segment is TextSegment text)
            {
                Write(text.Text);
                continue;
            }
            var literal = (LiteralSegment)segment;
            Write($"{(literal.Binary ? "~" : "")}{{{literal.Content.Length}}}\r\n");
            await output.FlushAsync(cancellationToken);
            while (true)
            {
                var response = await reader.ReadAsync(cancellationToken);
                if (response is null)
                {
                    Closed = true;
                    return;
                }
                if (response.IsContinuation)
                    break;
                Record(response, group, exchange);
                if (response.Tag == command.Tag)
                    return;
            }
            Write(literal.Content);
        }
        Write("\r\n");
        await output.FlushAsync(cancellationToken);

        void Write(string latin1) => output.Write(Encoding.Latin1.GetBytes(latin1));
    }

    async Task<bool> ReceiveAsync(IReadOnlyList<OutgoingCommand> group, Exchange exchange, CancellationToken cancellationToken)
    {
        var response = await reader.ReadAsync(cancellationToken);
        if (response is null)
        {
            Closed = true;
            return false;
        }
        Record(response, group, exchange);
        return true;
    }

    static void Record(ServerResponse response, IReadOnlyList<OutgoingCommand> group, Exchange exchange)
    {
        if (!response.IsUntagged && group.Any(c => c.Tag == response.Tag))
            exchange.Tagged[response.Tag] = response;
        else if (!response.IsContinuation)
            exchange.Untagged.Add(response);
    }

    /// <summary>Logs out politely when the connection is still open, then closes it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Closed)
        {
            try
            {
                await ExecuteAsync([new OutgoingCommand("bye", [new TextSegment("LOGOUT")])], TimeSpan.FromSeconds(2), CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                // the server may already have gone; closing is all that is left to do
            }
        }
        await transport.DisposeAsync();
    }
}
