using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Rookery.Common.Tls;

/// <summary>Puts TLS over a connection's pipes: at once for imaps/pop3s, or when STARTTLS/STLS asks.</summary>
public static class TlsUpgrade
{
    /// <summary>
    /// Negotiates TLS over <paramref name="transport"/>. The caller ends it: <see cref="Secured.CloseAsync"/>
    /// when the session is over (the session completing its pipes leaves the TLS stream open for that),
    /// then <see cref="Secured.DisposeAsync"/>.
    /// </summary>
    public static async Task<Secured> AuthenticateAsServerAsync(IDuplexPipe transport, X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(new DuplexPipeStream(transport), leaveInnerStreamOpen: false);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateRequired = false,
            }, handshake.Token);
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }
        return new Secured(ssl);
    }

    /// <summary>A connection's pipes with TLS over them.</summary>
    public sealed class Secured(SslStream ssl) : IDuplexPipe, IAsyncDisposable
    {
        public PipeReader Input { get; } = PipeReader.Create(ssl, new StreamPipeReaderOptions(leaveOpen: true));
        public PipeWriter Output { get; } = PipeWriter.Create(ssl, new StreamPipeWriterOptions(leaveOpen: true));

        /// <summary>Sends TLS's close_notify; a peer that is gone or does not read it is not waited for.</summary>
        public async Task CloseAsync()
        {
            try
            {
                await ssl.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or TimeoutException or System.Security.Authentication.AuthenticationException)
            {
            }
        }

        public ValueTask DisposeAsync() => ssl.DisposeAsync();
    }

    /// <summary>The two directions of a duplex pipe as one stream, for SslStream to sit on.</summary>
    sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
    {
        readonly Stream input = pipe.Input.AsStream();
        readonly Stream output = pipe.Output.AsStream();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => input.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => output.WriteAsync(buffer, offset, count, cancellationToken);
        public override void Flush() => output.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
                output.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
