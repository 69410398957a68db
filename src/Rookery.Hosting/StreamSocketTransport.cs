using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Rookery.Hosting;

/// <summary>
/// A listen address for the mail protocols (IMAP, POP3, LMTP, socketmap): Kestrel binds it with
/// <see cref="StreamSocketTransportFactory"/> instead of its own socket transport.
/// </summary>
public sealed class MailEndPoint(EndPoint inner) : EndPoint
{
    public EndPoint Inner { get; } = inner;

    public override AddressFamily AddressFamily => Inner.AddressFamily;

    public override string ToString() => Inner.ToString() ?? "";
}

/// <summary>
/// Kestrel's connection transport for the line protocols. Kestrel's own socket transport runs a
/// receive loop and a send loop per connection, each on its own scheduler, so one command and
/// its answer pass through four threads. Here the session reads the socket itself, when it wants
/// the next command, and its flush is the send: the only hand-off is the one from the socket
/// engine to the pool thread that runs the session when the command arrives. A blocking
/// query or fsync in the session still blocks only a pool thread, never the socket engine.
/// </summary>
public sealed class StreamSocketTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is MailEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var inner = ((MailEndPoint)endpoint).Inner;
        var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(inner);
        try
        {
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return ValueTask.FromResult<IConnectionListener>(new Listener(socket, new MailEndPoint(socket.LocalEndPoint ?? inner)));
    }

    sealed class Listener(Socket socket, EndPoint endpoint) : IConnectionListener
    {
        public EndPoint EndPoint { get; } = endpoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                try
                {
                    var accepted = await socket.AcceptAsync(cancellationToken);
                    try
                    {
                        return new StreamSocketConnection(accepted);
                    }
                    catch (SocketException)
                    {
                        accepted.Dispose(); // reset before its addresses could be read
                        throw;
                    }
                }
                catch (ObjectDisposedException)
                {
                    return null; // unbound
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
                {
                    return null;
                }
                catch (SocketException)
                {
                    // the client reset before we accepted it: take the next one
                }
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>
/// One accepted connection: pipes that read and write the socket directly (see <see cref="StreamSocketTransportFactory"/>).
/// Nothing reads the socket behind the session's back, so a client that goes away is seen by the
/// session's own read; <see cref="ConnectionClosed"/> fires when Kestrel aborts or disposes the connection.
/// </summary>
sealed class StreamSocketConnection : ConnectionContext, IConnectionSocketFeature, IDuplexPipe
{
    static long lastId;

    readonly Socket socket;
    readonly NetworkStream stream;
    readonly CancellationTokenSource closed = new();

    public StreamSocketConnection(Socket socket)
    {
        this.socket = socket;
        if (socket.ProtocolType == ProtocolType.Tcp)
            socket.NoDelay = true;
        stream = new NetworkStream(socket, ownsSocket: true);
        // Zero-byte reads: a connection waiting for its next command (10,000 of them in IDLE) holds no buffer.
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 4096, leaveOpen: true));
        ConnectionId = "M" + Interlocked.Increment(ref lastId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        Features.Set<IConnectionSocketFeature>(this);
    }

    public PipeReader Input { get; }
    public PipeWriter Output { get; }
    public Socket Socket => socket;

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features { get; } = new FeatureCollection();
    [AllowNull]
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    public override IDuplexPipe Transport { get => this; set => throw new NotSupportedException("The transport of a mail connection is its socket."); }
    public override CancellationToken ConnectionClosed { get => closed.Token; set => throw new NotSupportedException(); }
    public override EndPoint? LocalEndPoint { get; set; }
    public override EndPoint? RemoteEndPoint { get; set; }

    /// <summary>Kestrel's shutdown, after its grace period: pending reads and writes end at once.</summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        try
        {
            closed.Cancel();
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // already closed or disposed
        }
    }

    int disposed;

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            await closed.CancelAsync();
            await Input.CompleteAsync();
            try
            {
                await Output.CompleteAsync();
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // the client is gone; what was not flushed has nowhere to go
            }
            await stream.DisposeAsync();
            closed.Dispose();
        }
        await base.DisposeAsync();
    }
}
