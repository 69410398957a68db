using Rookery.Testing;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>A login the scripts' connections use; the first is $user, the next ones $user2, $user3…</summary>
sealed record ImapTestAccount(string User, string Password);

/// <summary>The client's ends of one connection.</summary>
interface IImapTestTransport : IAsyncDisposable
{
    PipeReader Input { get; }
    PipeWriter Output { get; }
}

/// <summary>Where the scripts run: Rookery in this process, or any IMAP server over TCP.</summary>
interface IImapTestServer
{
    /// <summary>For the summary: "Rookery (sqlite)", "127.0.0.1:14143".</summary>
    string Name { get; }
    IReadOnlyList<ImapTestAccount> Accounts { get; }
    Task<IImapTestTransport> ConnectAsync(CancellationToken cancellationToken);
}

/// <summary>Rookery's IMAP session over in-memory pipes, one session per connection.</summary>
sealed class InProcessServer(string name, Func<IDuplexPipe, Task> session, IReadOnlyList<ImapTestAccount> accounts) : IImapTestServer
{
    public string Name { get; } = name;
    public IReadOnlyList<ImapTestAccount> Accounts { get; } = accounts;

    public Task<IImapTestTransport> ConnectAsync(CancellationToken cancellationToken)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var running = Task.Run(() => session(new DuplexPipe(toServer.Reader, toClient.Writer)), cancellationToken);
        return Task.FromResult<IImapTestTransport>(new Transport(toClient.Reader, toServer.Writer, running));
    }

    sealed class Transport(PipeReader input, PipeWriter output, Task session) : IImapTestTransport
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;

        public async ValueTask DisposeAsync()
        {
            // The session ends when its input ends; wait for it so it leaves the store before the next script
            await Output.CompleteAsync();
            await Input.CompleteAsync();
            await session.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }
}

/// <summary>
/// A real server: ROOKERY_IMAPTEST_SERVER=host:port:user:password[:user2:password2…]. Used to check
/// the runner against Dovecot, which passes these scripts, before trusting it on Rookery.
/// </summary>
sealed class TcpServer(string host, int port, IReadOnlyList<ImapTestAccount> accounts) : IImapTestServer
{
    public const string Variable = "ROOKERY_IMAPTEST_SERVER";

    public string Name => $"{host}:{port}";
    public IReadOnlyList<ImapTestAccount> Accounts { get; } = accounts;

    public static TcpServer? FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value))
            return null;
        var parts = value.Split(':');
        if (parts.Length < 4 || parts.Length % 2 != 0 || !int.TryParse(parts[1], out var port))
            throw new InvalidOperationException($"{Variable} must be host:port:user:password[:user2:password2…], not '{value}'");
        var accounts = Enumerable.Range(0, (parts.Length - 2) / 2).Select(i => new ImapTestAccount(parts[2 + 2 * i], parts[3 + 2 * i])).ToList();
        return new TcpServer(parts[0], port, accounts);
    }

    public async Task<IImapTestTransport> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, cancellationToken);
        }
        catch
        {
            client.Dispose();
            throw;
        }
        var stream = client.GetStream();
        return new Transport(client, PipeReader.Create(stream), PipeWriter.Create(stream));
    }

    sealed class Transport(TcpClient client, PipeReader input, PipeWriter output) : IImapTestTransport
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;

        public async ValueTask DisposeAsync()
        {
            await Output.CompleteAsync();
            await Input.CompleteAsync();
            client.Dispose();
        }
    }
}
