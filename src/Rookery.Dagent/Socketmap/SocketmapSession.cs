using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Rookery.Dagent.Socketmap;

/// <summary>Limits of a socketmap connection.</summary>
public sealed record SocketmapLimits
{
    /// <summary>Longest request accepted; Postfix's keys are addresses, far shorter.</summary>
    public int MaxRequestLength { get; init; } = 10_000;
    /// <summary>A connection idle this long is closed (Postfix reconnects when it needs to).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// One connection from Postfix's socketmap client: requests answered in order, as many as it
/// sends. A malformed netstring closes the connection, since nothing after it can be framed.
/// </summary>
public sealed class SocketmapSession(IDuplexPipe transport, PostfixMaps maps, SocketmapLimits limits, ILogger? logger = null)
{
    readonly ILogger log = logger ?? NullLogger.Instance;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var input = transport.Input;
        var output = transport.Output;
        try
        {
            while (true)
            {
                ReadResult read;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    idle.CancelAfter(limits.IdleTimeout);
                    try
                    {
                        read = await input.ReadAsync(idle.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        log.LogDebug("socketmap: idle connection closed");
                        return;
                    }
                }
                var buffer = read.Buffer;
                var requests = new List<SocketmapRequest>();
                var (outcome, consumed, problem) = Parse(buffer, requests);
                input.AdvanceTo(consumed, buffer.End);
                foreach (var request in requests)
                {
                    var reply = await maps.LookupAsync(request, cancellationToken);
                    log.LogDebug("socketmap {Map} {Key} -> {Reply}", request.Map, request.Key, reply.Payload);
                    await output.WriteAsync(SocketmapProtocol.Encode(reply), cancellationToken);
                }
                if (outcome == SocketmapParse.Malformed)
                {
                    log.LogWarning("socketmap: {Problem}; closing the connection", problem);
                    return;
                }
                if (read.IsCompleted)
                    return;
            }
        }
        finally
        {
            await input.CompleteAsync();
            await output.CompleteAsync();
        }
    }

    /// <summary>Every complete request in the buffer; stops at the first incomplete or malformed one.</summary>
    (SocketmapParse Outcome, SequencePosition Consumed, string? Problem) Parse(ReadOnlySequence<byte> buffer, List<SocketmapRequest> requests)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (true)
        {
            switch (SocketmapProtocol.TryParse(ref reader, limits.MaxRequestLength, out var request, out var problem))
            {
                case SocketmapParse.Request:
                    requests.Add(request!);
                    break;
                case SocketmapParse.NeedMoreData:
                    return (SocketmapParse.NeedMoreData, reader.Position, null);
                default:
                    return (SocketmapParse.Malformed, reader.Position, problem);
            }
        }
    }
}
