using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace LdapLoad;

/// <summary>
/// A socketmap client as Postfix's is: one connection kept open, one netstring request
/// (<c>map key</c>) at a time, each answered before the next is sent.
/// </summary>
sealed class SocketmapWorker(Options options) : IWorker
{
    readonly Socket socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    BufferedStream? stream;

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        await socket.ConnectAsync(options.Host, options.Port, cancellationToken);
        stream = new BufferedStream(new NetworkStream(socket, ownsSocket: false), 4096);
    }

    public async Task RunAsync(string key, CancellationToken cancellationToken)
    {
        var s = stream!;
        var request = Encoding.UTF8.GetBytes($"{options.Map} {key}");
        await s.WriteAsync(Encoding.ASCII.GetBytes(request.Length.ToString(CultureInfo.InvariantCulture) + ":"), cancellationToken);
        await s.WriteAsync(request, cancellationToken);
        await s.WriteAsync(","u8.ToArray(), cancellationToken);
        await s.FlushAsync(cancellationToken);

        var length = 0;
        var one = new byte[1];
        while (true)
        {
            await s.ReadExactlyAsync(one, cancellationToken);
            if (one[0] == ':')
                break;
            if (one[0] is < (byte)'0' or > (byte)'9' || length > 100_000)
                throw new IOException("malformed netstring length");
            length = length * 10 + (one[0] - '0');
        }
        var payload = new byte[length + 1];
        await s.ReadExactlyAsync(payload, cancellationToken);
        if (payload[^1] != ',')
            throw new IOException("netstring without its comma");
        var reply = Encoding.UTF8.GetString(payload, 0, length);
        var ok = reply.StartsWith("OK ", StringComparison.Ordinal);
        var notFound = reply.StartsWith("NOTFOUND", StringComparison.Ordinal);
        if ((options.Expect == Expect.Ok && !ok) || (options.Expect == Expect.NotFound && !notFound) || (!ok && !notFound))
            throw new InvalidOperationException(reply);
    }

    public async ValueTask DisposeAsync()
    {
        if (stream is not null)
            await stream.DisposeAsync();
        socket.Dispose();
    }
}
