using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImapLoad;

/// <summary>
/// "idle": opens many IMAP connections over raw sockets (no MailKit: the client must stay small), each
/// LOGIN, SELECT INBOX, IDLE; prints READY when all are idling and holds them until standard input closes.
/// </summary>
static class IdleHolder
{
    public static async Task<int> RunAsync(Options o)
    {
        var target = new IPEndPoint(IPAddress.Parse(o.Host), o.Port);
        var sockets = new Socket?[o.Connections];
        var failed = 0;
        string? lastError = null;
        var watch = Stopwatch.StartNew();
        var done = 0;
        using var progress = new Timer(_ => Console.Error.WriteLine($"{o.Label}: {Volatile.Read(ref done)} of {o.Connections} idling, {Volatile.Read(ref failed)} failed ({watch.Elapsed.TotalSeconds:F0}s)"),
            null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
        await Parallel.ForEachAsync(Enumerable.Range(0, o.Connections), new ParallelOptions { MaxDegreeOfParallelism = o.LoginParallelism }, async (i, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (o.SourceAddresses > 1)
                    socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(1 + i % o.SourceAddresses)]), 0));
                await socket.ConnectAsync(target, ct);
                var buffer = ArrayPool<byte>.Shared.Rent(16384);
                try
                {
                    var reader = new LineReader(socket, buffer);
                    await reader.ExpectAsync("* ", ct);
                    await SendAsync(socket, $"a LOGIN {o.UserName(i % o.Users)} {o.Password}\r\n", ct);
                    await reader.ExpectAsync("a OK", ct);
                    await SendAsync(socket, "b SELECT INBOX\r\n", ct);
                    await reader.ExpectAsync("b OK", ct);
                    await SendAsync(socket, "c IDLE\r\n", ct);
                    await reader.ExpectAsync("+", ct);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                sockets[i] = socket;
                Interlocked.Increment(ref done);
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref failed);
                lastError = $"connection {i}: {e.GetType().Name}: {e.Message}";
                socket.Dispose();
            }
        });
        await progress.DisposeAsync();
        if (lastError is not null)
            Console.Error.WriteLine($"{o.Label}: last error: {lastError}");
        Console.WriteLine($"READY {done} {failed} {watch.Elapsed.TotalSeconds:F1}");
        Console.Out.Flush();

        // Hold every connection until the driver closes our standard input.
        await Console.In.ReadToEndAsync();
        foreach (var socket in sockets)
            socket?.Dispose();
        return failed == 0 ? 0 : 1;
    }

    static async Task SendAsync(Socket socket, string line, CancellationToken ct) =>
        await socket.SendAsync(Encoding.ASCII.GetBytes(line), SocketFlags.None, ct);

    /// <summary>Reads CRLF lines until one starts with the expected text; a tagged NO or BAD fails.</summary>
    sealed class LineReader(Socket socket, byte[] buffer)
    {
        int start;
        int end;

        public async Task ExpectAsync(string prefix, CancellationToken ct)
        {
            var tag = prefix.Length > 2 && prefix[0] != '*' ? prefix[..prefix.IndexOf(' ', StringComparison.Ordinal)] + " " : null;
            while (true)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (newline < 0)
                {
                    if (start > 0)
                    {
                        Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                        end -= start;
                        start = 0;
                    }
                    if (end == buffer.Length)
                        throw new InvalidDataException("response line too long");
                    var n = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, ct);
                    if (n == 0)
                        throw new IOException("connection closed by the server");
                    end += n;
                    continue;
                }
                var line = Encoding.ASCII.GetString(buffer, start, newline - start).TrimEnd('\r');
                start = newline + 1;
                if (line.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                    return;
                if (tag is not null && line.StartsWith(tag, StringComparison.OrdinalIgnoreCase))
                    throw new InvalidDataException($"expected {prefix}, got: {line}");
            }
        }
    }
}
