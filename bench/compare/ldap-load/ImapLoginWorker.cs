using System.Net.Sockets;
using System.Text;

namespace LdapLoad;

/// <summary>
/// One IMAP login as a mail client makes it: connect, greeting, LOGIN, LOGOUT, close — over a raw
/// socket, so the load generator spends little CPU on the machine it shares with the servers.
/// </summary>
sealed class ImapLoginWorker(Options options) : IWorker
{
    public Task OpenAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task RunAsync(string key, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(options.Host, options.Port, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.ASCII, detectEncodingFromByteOrderMarks: false, bufferSize: 1024, leaveOpen: true);
        var greeting = await reader.ReadLineAsync(cancellationToken);
        if (greeting is null || !greeting.StartsWith("* OK", StringComparison.Ordinal))
            throw new IOException($"greeting: {greeting ?? "(closed)"}");
        await CommandAsync(stream, reader, "a", $"LOGIN {Quote(key)} {Quote(options.Password)}", cancellationToken);
        await CommandAsync(stream, reader, "b", "LOGOUT", cancellationToken);
    }

    static async Task CommandAsync(NetworkStream stream, StreamReader reader, string tag, string command, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{tag} {command}\r\n"), cancellationToken);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!line.StartsWith(tag + " ", StringComparison.Ordinal))
                continue;
            if (!line.StartsWith(tag + " OK", StringComparison.Ordinal))
                throw new InvalidOperationException(line);
            return;
        }
        throw new IOException($"connection closed before the reply to {command.Split(' ')[0]}");
    }

    static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
