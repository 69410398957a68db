using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Smtp.Protocol;

namespace Rookery.Dagent;

/// <summary>Limits of one LMTP connection; each has a configurable default.</summary>
public sealed record LmtpLimits
{
    public long MaxMessageSize { get; init; } = 64L * 1024 * 1024;
    public int MaxRecipients { get; init; } = 1000;
    public int MaxErrors { get; init; } = 20;
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Where messages larger than <see cref="SpoolMemoryLimit"/> are held while they are received.</summary>
    public string SpoolDirectory { get; init; } = Path.GetTempPath();
    public int SpoolMemoryLimit { get; init; } = MessageSpool.DefaultMemoryLimit;
}

/// <summary>
/// One LMTP conversation (RFC 2033) over a duplex pipe: LHLO, MAIL, RCPT, DATA with one reply
/// per accepted recipient, RSET, NOOP, QUIT, pipelining. Replies for pipelined commands are
/// flushed together when the client has nothing more buffered.
/// </summary>
public sealed class LmtpSession(IDuplexPipe transport, DeliveryAgent agent, string hostName, LmtpLimits limits, ILogger? logger = null) : IDisposable
{
    enum State { Connected, Ready, MailGiven }

    readonly ILogger log = logger ?? NullLogger.Instance;
    readonly SmtpCommandParser parser = new();
    State state = State.Connected;
    string sender = "";
    readonly List<Recipient> recipients = [];
    int errors;

    DataReader? data;
    MessageSpool? content;

    /// <param name="stopping">The server is stopping: the session ends with a 421 the next time it waits for its client (never during a delivery).</param>
    public async Task RunAsync(CancellationToken cancellationToken, CancellationToken stopping = default)
    {
        var output = transport.Output;
        var input = transport.Input;
        Reply(new SmtpReply(220, null, $"{hostName} Rookery LMTP ready"));
        await output.FlushAsync(cancellationToken);
        try
        {
            while (true)
            {
                ReadResult read;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping))
                {
                    idle.CancelAfter(limits.IdleTimeout);
                    try
                    {
                        read = await input.ReadAsync(idle.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        Reply(stopping.IsCancellationRequested
                            ? new SmtpReply(421, "4.3.2", $"{hostName} Service shutting down, closing connection")
                            : new SmtpReply(421, "4.4.2", $"{hostName} idle for too long, closing connection"));
                        await output.FlushAsync(cancellationToken);
                        return;
                    }
                }
                var step = Step(read.Buffer);
                // Unconsumed input stays in the pipe: the next read returns it at once unless more is needed.
                var drained = step.Kind == StepKind.NeedMoreData || read.Buffer.Slice(step.Consumed).IsEmpty;
                input.AdvanceTo(step.Consumed, step.Kind == StepKind.NeedMoreData ? read.Buffer.End : step.Consumed);
                switch (step.Kind)
                {
                    case StepKind.NeedMoreData:
                        await output.FlushAsync(cancellationToken); // pipelined replies go out together
                        if (read.IsCompleted)
                            return;
                        break;
                    case StepKind.Error:
                        Reply(step.Error!);
                        if (++errors >= limits.MaxErrors)
                        {
                            Reply(new SmtpReply(421, "4.7.0", $"{hostName} too many errors, closing connection"));
                            await output.FlushAsync(cancellationToken);
                            return;
                        }
                        break;
                    case StepKind.DataComplete:
                        await FinishDataAsync(cancellationToken);
                        break;
                    case StepKind.Command when step.Command is SmtpCommand.Quit:
                        Reply(new SmtpReply(221, "2.0.0", $"{hostName} closing connection"));
                        await output.FlushAsync(cancellationToken);
                        return;
                    case StepKind.Command when step.Command is SmtpCommand.Data && state == State.MailGiven && recipients.Count > 0:
                        data = new DataReader(limits.MaxMessageSize);
                        content = new MessageSpool(limits.SpoolDirectory, limits.SpoolMemoryLimit);
                        Reply(new SmtpReply(354, null, "Start mail input; end with <CRLF>.<CRLF>"));
                        await output.FlushAsync(cancellationToken);
                        break;
                    case StepKind.Command:
                        await HandleAsync(step.Command!, cancellationToken);
                        break;
                }
                // Pipelined replies go out together, once the client has nothing more buffered.
                if (drained && step.Kind != StepKind.NeedMoreData)
                    await output.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            Dispose(); // a message cut off in the middle
            await input.CompleteAsync();
            await output.CompleteAsync();
        }
    }

    enum StepKind { NeedMoreData, Command, Error, DataComplete }

    readonly record struct StepResult(StepKind Kind, SequencePosition Consumed, SmtpCommand? Command = null, SmtpReply? Error = null);

    /// <summary>Parses one command, or feeds the message reader during DATA; no IO.</summary>
    StepResult Step(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (data is not null)
        {
            var status = data.Read(ref reader, content!);
            return new StepResult(status == DataStatus.Complete ? StepKind.DataComplete : StepKind.NeedMoreData, reader.Position);
        }
        return parser.TryParse(ref reader, out var command, out var error) switch
        {
            ParseStatus.Command => new StepResult(StepKind.Command, reader.Position, command),
            ParseStatus.Error => new StepResult(StepKind.Error, reader.Position, Error: error),
            _ => new StepResult(StepKind.NeedMoreData, reader.Position),
        };
    }

    async Task HandleAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        switch (command)
        {
            case SmtpCommand.Hello { Verb: "LHLO" } hello:
                ResetTransaction();
                state = State.Ready;
                log.LogDebug("LHLO {Client}", hello.Domain);
                Reply(new SmtpReply(250, null, [hostName, "PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", $"SIZE {limits.MaxMessageSize}"]));
                break;
            case SmtpCommand.Hello:
                Reply(new SmtpReply(500, "5.5.1", "This is LMTP: say LHLO"));
                break;
            case SmtpCommand.Mail when state == State.Connected:
                Reply(SmtpReply.BadSequence("Say LHLO first"));
                break;
            case SmtpCommand.Mail when state == State.MailGiven:
                Reply(SmtpReply.BadSequence("Sender already given"));
                break;
            case SmtpCommand.Mail mail:
                if (mail.Size > limits.MaxMessageSize)
                {
                    Reply(new SmtpReply(552, "5.3.4", $"Message size exceeds the limit of {limits.MaxMessageSize} octets"));
                    break;
                }
                sender = mail.ReversePath;
                state = State.MailGiven;
                Reply(new SmtpReply(250, "2.1.0", "Sender ok"));
                break;
            case SmtpCommand.Rcpt when state != State.MailGiven:
                Reply(SmtpReply.BadSequence("Need MAIL before RCPT"));
                break;
            case SmtpCommand.Rcpt when recipients.Count >= limits.MaxRecipients:
                Reply(new SmtpReply(452, "4.5.3", "Too many recipients"));
                break;
            case SmtpCommand.Rcpt rcpt:
                await AddRecipientAsync(rcpt.ForwardPath, cancellationToken);
                break;
            case SmtpCommand.Data when state != State.MailGiven:
                Reply(SmtpReply.BadSequence("Need MAIL and RCPT before DATA"));
                break;
            case SmtpCommand.Data:
                Reply(new SmtpReply(503, "5.5.1", "No valid recipients"));
                break;
            case SmtpCommand.Rset:
                ResetTransaction();
                Reply(SmtpReply.Ok());
                break;
            case SmtpCommand.Noop:
                Reply(SmtpReply.Ok());
                break;
            case SmtpCommand.Vrfy:
                Reply(new SmtpReply(252, "2.5.0", "Cannot VRFY, but will accept the message and attempt delivery"));
                break;
            default:
                Reply(SmtpReply.NotImplemented("Command not implemented"));
                break;
        }
    }

    async Task AddRecipientAsync(string address, CancellationToken cancellationToken)
    {
        Recipient recipient;
        try
        {
            recipient = await agent.ResolveAsync(address, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "Looking up {Recipient} failed", address);
            Reply(new SmtpReply(451, "4.4.3", "Directory unavailable, try again later"));
            return;
        }
        if (!recipient.Known)
        {
            Reply(new SmtpReply(550, "5.1.1", $"<{address}>: no such user here"));
            return;
        }
        recipients.Add(recipient);
        Reply(new SmtpReply(250, "2.1.5", $"<{address}> ok"));
    }

    /// <summary>Answers once per accepted recipient, each after its own commit.</summary>
    async Task FinishDataAsync(CancellationToken cancellationToken)
    {
        using var received = content!;
        var tooLarge = data!.TooLarge;
        data = null;
        content = null;
        if (tooLarge)
        {
            foreach (var _ in recipients)
                Reply(new SmtpReply(552, "5.3.4", $"Message size exceeds the limit of {limits.MaxMessageSize} octets"));
        }
        else
        {
            using var message = received.Content();
            var results = await agent.DeliverAsync(sender, recipients, message, cancellationToken);
            foreach (var result in results)
                Reply(result.Status switch
                {
                    DeliveryStatus.Delivered => new SmtpReply(250, "2.1.5", $"<{result.Recipient}> delivered"),
                    DeliveryStatus.UnknownRecipient => new SmtpReply(550, "5.1.1", $"<{result.Recipient}>: no such user here"),
                    DeliveryStatus.OverQuota => new SmtpReply(552, "5.2.2", $"<{result.Recipient}>: mailbox full"),
                    _ => new SmtpReply(451, "4.3.0", $"<{result.Recipient}>: temporary failure, try again later"),
                });
        }
        ResetTransaction();
        state = State.Ready;
    }

    void ResetTransaction()
    {
        sender = "";
        recipients.Clear();
        if (state == State.MailGiven)
            state = State.Ready;
    }

    public void Dispose()
    {
        content?.Dispose();
        content = null;
    }

    void Reply(SmtpReply reply) => reply.WriteTo(transport.Output);
}
