using System.Net.Sockets;
using System.Text;

namespace Rookery.Tests;

/// <summary>
/// A plain TCP connection to a line protocol of <c>rookery serve</c> (IMAP, POP3), read and written a
/// line at a time: for what the real clients do not show, such as greetings, limits and timeouts.
/// </summary>
sealed class LineClient : IDisposable
{
    readonly TcpClient client;
    readonly StreamReader reader;
    readonly StreamWriter writer;

    LineClient(TcpClient client, StreamReader reader, string greeting)
    {
        this.client = client;
        this.reader = reader;
        writer = new StreamWriter(client.GetStream(), Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        Greeting = greeting;
    }

    /// <summary>The first line the server sent ("" when it closed without one).</summary>
    public string Greeting { get; }

    public static async Task<LineClient> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
        return new LineClient(client, reader, await reader.ReadLineAsync() ?? "");
    }

    /// <summary>The next line; null when the server has closed the connection.</summary>
    public Task<string?> ReadLineAsync() => reader.ReadLineAsync();

    public Task WriteLineAsync(string line) => writer.WriteLineAsync(line);

    public void Dispose() => client.Dispose();
}
