using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Common.Sasl;
using Rookery.Directory;
using Rookery.Store;

namespace Rookery.Pop3;

/// <summary>Settings of the POP3 service.</summary>
public sealed record Pop3Options
{
    public string HostName { get; init; } = "localhost";
    /// <summary>Longest command line (RFC 2449 allows 255 octets; SASL responses need more).</summary>
    public int MaxLineLength { get; init; } = 4096;
    /// <summary>Inactivity after which the connection is closed (RFC 1939: at least 10 minutes).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Silence allowed before the client has logged in.</summary>
    public TimeSpan LoginTimeout { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Failed commands after which the connection is closed.</summary>
    public int MaxBadCommands { get; init; } = 20;
}

/// <summary>What every POP3 session shares; <see cref="Locks"/> gives each maildrop to one session at a time (RFC 1939 §8).</summary>
public sealed record Pop3Services(IMailStore Store, UserStores Users, Authenticator Authenticator, Pop3Options Options)
{
    public ConcurrentDictionary<string, byte> Locks { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <param name="ClientAddress">For throttling and logs.</param>
/// <param name="Secure">TLS is on.</param>
/// <param name="PlaintextAuthAllowed">USER/PASS and AUTH PLAIN/LOGIN are allowed as the connection is now.</param>
public sealed record Pop3Connection(string ClientAddress, bool Secure, bool PlaintextAuthAllowed)
{
    /// <summary>The server is stopping: a session waiting for a command ends, without applying its deletions (only QUIT does).</summary>
    public CancellationToken Stopping { get; init; }
}

/// <summary>
/// One POP3 conversation over the Inbox: the message list is fixed at login, UIDLs never change,
/// and deletions take effect at QUIT only, after which the store tells every other protocol.
/// </summary>
public sealed class Pop3Session(IDuplexPipe transport, Pop3Services services, Pop3Connection connection, Func<IDuplexPipe, CancellationToken, Task<IDuplexPipe>>? startTls = null, ILogger? logger = null) : IDisposable
{
    enum State { Authorization, Transaction, Done }

    sealed class Message(ItemInfo item)
    {
        public ItemInfo Item { get; } = item;
        public bool Deleted { get; set; }
    }

    readonly ILogger log = logger ?? NullLogger.Instance;
    IDuplexPipe transport = transport;
    Pop3Connection connection = connection;
    State state = State.Authorization;
    string? pendingUser;
    UserAccount? user;
    FolderInfo? inbox;
    List<Message> messages = [];
    int badCommands;

    Pop3Options Options => services.Options;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Write($"+OK {Options.HostName} Rookery POP3 ready");
        await transport.Output.FlushAsync(cancellationToken);
        try
        {
            while (state != State.Done)
            {
                var line = await ReadLineAsync(cancellationToken);
                if (line is null)
                    return;
                if (await HandleAsync(line, cancellationToken))
                {
                    // Anything the client sent after STLS goes into the handshake, never into a command.
                    await transport.Output.FlushAsync(cancellationToken);
                    transport = await startTls!(transport, cancellationToken);
                    connection = connection with { Secure = true, PlaintextAuthAllowed = true };
                    continue;
                }
                // Pipelined commands (RFC 2449) get their replies together, once nothing more is buffered.
                var more = false;
                if (transport.Input.TryRead(out var pending))
                {
                    more = !pending.Buffer.IsEmpty;
                    transport.Input.AdvanceTo(pending.Buffer.Start);
                }
                if (!more)
                    await transport.Output.FlushAsync(cancellationToken);
            }
            await transport.Output.FlushAsync(cancellationToken);
        }
        finally
        {
            await transport.Input.CompleteAsync();
            await transport.Output.CompleteAsync();
        }
    }

    /// <summary>
    /// Reads a line; null when the client went away or took longer than the idle timeout to send it
    /// (a line dribbled out without its end counts as silence).
    /// </summary>
    async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var input = transport.Input;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Stopping);
        idle.CancelAfter(state == State.Authorization ? Options.LoginTimeout : Options.IdleTimeout);
        var discarding = false;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Write(connection.Stopping.IsCancellationRequested ? "-ERR Server shutting down" : "-ERR Idle for too long, closing connection");
                await transport.Output.FlushAsync(cancellationToken);
                return null;
            }
            var buffer = read.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                var tooLong = !discarding && line.Length > Options.MaxLineLength;
                var bytes = discarding || tooLong ? [] : line.ToArray();
                input.AdvanceTo(reader.Position);
                if (discarding)
                {
                    // the end of a line already refused
                    discarding = false;
                    continue;
                }
                if (tooLong)
                {
                    Write("-ERR Line too long");
                    await transport.Output.FlushAsync(cancellationToken);
                    continue;
                }
                return Encoding.UTF8.GetString(bytes, 0, bytes.Length > 0 && bytes[^1] == '\r' ? bytes.Length - 1 : bytes.Length);
            }
            if (discarding || buffer.Length > Options.MaxLineLength)
            {
                // Drop the over-long line without keeping it; the next LF ends it.
                input.AdvanceTo(buffer.End);
                if (!discarding)
                {
                    Write("-ERR Line too long");
                    await transport.Output.FlushAsync(cancellationToken);
                    discarding = true;
                }
            }
            else
                input.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
                return null;
        }
    }

    /// <summary>Runs one command; true when the connection must switch to TLS now (STLS).</summary>
    async Task<bool> HandleAsync(string line, CancellationToken cancellationToken)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
        var argument = space < 0 ? "" : line[(space + 1)..];
        try
        {
            switch (state, verb)
            {
                case (_, "CAPA"):
                    Capabilities();
                    break;
                case (_, "QUIT"):
                    await QuitAsync(cancellationToken);
                    break;
                case (_, "NOOP") when state == State.Transaction:
                    Write("+OK");
                    break;
                case (State.Authorization, "STLS"):
                    if (startTls is null || connection.Secure)
                        throw new Pop3Exception(connection.Secure ? "TLS is already active" : "STLS is not available");
                    Write("+OK Begin TLS negotiation");
                    return true;
                case (State.Authorization, "USER"):
                    RequirePlaintextAllowed();
                    if (argument.Length == 0)
                        throw new Pop3Exception("USER needs a name");
                    pendingUser = argument;
                    Write("+OK");
                    break;
                case (State.Authorization, "PASS"):
                    RequirePlaintextAllowed();
                    if (pendingUser is null)
                        throw new Pop3Exception("USER first");
                    var login = pendingUser;
                    pendingUser = null;
                    await LogInAsync(new SaslCredentials("", login, argument), cancellationToken);
                    break;
                case (State.Authorization, "AUTH"):
                    await AuthenticateAsync(argument, cancellationToken);
                    break;
                case (State.Transaction, "STAT"):
                    var live = messages.Where(m => !m.Deleted).ToList();
                    Write($"+OK {live.Count} {live.Sum(m => m.Item.Size)}");
                    break;
                case (State.Transaction, "LIST"):
                    Listing(argument, m => m.Item.Size.ToString(CultureInfo.InvariantCulture));
                    break;
                case (State.Transaction, "UIDL"):
                    Listing(argument, m => Uidl(m.Item));
                    break;
                case (State.Transaction, "RETR"):
                    await RetrieveAsync(Find(argument), null, cancellationToken);
                    break;
                case (State.Transaction, "TOP"):
                    var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var lines))
                        throw new Pop3Exception("TOP needs a message number and a line count");
                    await RetrieveAsync(Find(parts[0]), lines, cancellationToken);
                    break;
                case (State.Transaction, "DELE"):
                    var message = Find(argument);
                    message.Deleted = true;
                    Write("+OK Marked for deletion");
                    break;
                case (State.Transaction, "RSET"):
                    foreach (var m in messages)
                        m.Deleted = false;
                    Write($"+OK {messages.Count} messages");
                    break;
                default:
                    throw new Pop3Exception(state == State.Authorization ? "Unknown command, or log in first" : "Unknown command");
            }
        }
        catch (Pop3Exception e)
        {
            Write("-ERR " + e.Message);
            if (++badCommands >= Options.MaxBadCommands)
            {
                Write("-ERR Too many errors, closing connection");
                state = State.Done;
            }
        }
        return false;
    }

    sealed class Pop3Exception(string message) : Exception(message);

    void RequirePlaintextAllowed()
    {
        if (!connection.PlaintextAuthAllowed)
            throw new Pop3Exception("[AUTH] Plaintext authentication is disallowed on an unencrypted connection; use STLS or port 995");
    }

    void Capabilities()
    {
        var lines = new List<string> { "+OK Capability list follows", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER", "IMPLEMENTATION Rookery" };
        if (state == State.Authorization)
        {
            if (startTls is not null && !connection.Secure)
                lines.Add("STLS");
            if (connection.PlaintextAuthAllowed)
                lines.Add("USER");
            if (Mechanisms().Any())
                lines.Add("SASL " + string.Join(' ', Mechanisms()));
        }
        lines.Add(".");
        foreach (var line in lines)
            Write(line);
    }

    async Task AuthenticateAsync(string argument, CancellationToken cancellationToken)
    {
        var parts = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        var tokens = services.Authenticator.AcceptsTokens;
        if (parts.Length == 0)
        {
            Write("+OK");
            foreach (var name in Mechanisms())
                Write(name);
            Write(".");
            return;
        }
        var mechanism = SaslMechanisms.Create(parts[0], tokens) ?? throw new Pop3Exception("Unsupported SASL mechanism");
        if (SaslMechanisms.PasswordMechanisms.Contains(mechanism.Name))
            RequirePlaintextAllowed();
        var step = mechanism.Start(parts.Length > 1 ? parts[1] : null);
        while (step is SaslStep.Challenge challenge)
            step = mechanism.Respond(await ChallengeAsync(challenge.Base64, cancellationToken));
        if (step is SaslStep.Malformed malformed)
            throw new Pop3Exception(malformed.Reason);
        await LogInAsync(((SaslStep.Completed)step).Credentials, cancellationToken);
    }

    /// <summary>The SASL mechanisms offered: passwords where plaintext is allowed, tokens where the server takes them.</summary>
    IEnumerable<string> Mechanisms() =>
        (connection.PlaintextAuthAllowed ? SaslMechanisms.PasswordMechanisms : [])
        .Concat(services.Authenticator.AcceptsTokens ? SaslMechanisms.TokenMechanisms : []);

    async Task<string> ChallengeAsync(string challenge, CancellationToken cancellationToken)
    {
        Write("+ " + challenge);
        await transport.Output.FlushAsync(cancellationToken);
        var line = await ReadLineAsync(cancellationToken) ?? throw new IOException("connection closed during AUTH");
        return line == "*" ? throw new Pop3Exception("Authentication cancelled") : line;
    }

    async Task LogInAsync(SaslCredentials credentials, CancellationToken cancellationToken)
    {
        var result = await services.Authenticator.LoginAsync(credentials, Features.Pop3, "POP3", connection.ClientAddress, cancellationToken);
        if (result.Outcome != LoginOutcome.Success)
            throw new Pop3Exception((result.Outcome == LoginOutcome.Unavailable ? "[SYS/TEMP] " : "[AUTH] ") + result.Outcome.Describe("POP3"));
        var account = result.User!;
        if (!services.Locks.TryAdd(account.Login, 0))
            throw new Pop3Exception("[IN-USE] Another POP3 session has this mailbox open");
        user = account;
        var store = await services.Users.EnsureStoreAsync(account, cancellationToken);
        inbox = (await services.Store.ListFoldersAsync(store.Id, cancellationToken)).First(f => f.SpecialUse == SpecialUse.Inbox);
        messages = (await services.Store.ListItemsAsync(inbox.Id, cancellationToken: cancellationToken)).OrderBy(i => i.Uid).Select(i => new Message(i)).ToList();
        state = State.Transaction;
        log.LogDebug("POP3 session of {Login}: {Count} messages", account.Login, messages.Count);
        Write($"+OK {messages.Count} messages");
    }

    /// <summary>A stable unique id: the Inbox's UIDVALIDITY and the message's UID, which never change together.</summary>
    string Uidl(ItemInfo item) => $"{inbox!.UidValidity.ToString("x", CultureInfo.InvariantCulture)}.{item.Uid.ToString(CultureInfo.InvariantCulture)}";

    Message Find(string argument)
    {
        if (!int.TryParse(argument.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1 || number > messages.Count)
            throw new Pop3Exception("No such message");
        var message = messages[number - 1];
        return message.Deleted ? throw new Pop3Exception("Message is deleted") : message;
    }

    void Listing(string argument, Func<Message, string> value)
    {
        if (argument.Length > 0)
        {
            var message = Find(argument);
            Write($"+OK {messages.IndexOf(message) + 1} {value(message)}");
            return;
        }
        Write("+OK");
        for (var i = 0; i < messages.Count; i++)
        {
            if (!messages[i].Deleted)
                Write($"{i + 1} {value(messages[i])}");
        }
        Write(".");
    }

    /// <summary>RETR (whole message) or TOP (header and <paramref name="bodyLines"/> body lines), dot-stuffed and streamed.</summary>
    async Task RetrieveAsync(Message message, int? bodyLines, CancellationToken cancellationToken)
    {
        Stream content;
        try
        {
            content = await services.Store.OpenContentAsync(message.Item, cancellationToken);
        }
        catch (Exception e) when (e is StoreObjectNotFoundException or Blobs.BlobNotFoundException)
        {
            throw new Pop3Exception("[SYS/PERM] The message is no longer available");
        }
        await using (content)
        {
            Write(bodyLines is null ? $"+OK {message.Item.Size} octets" : "+OK");
            using var reader = new StreamReader(content, Encoding.Latin1);
            var inBody = false;
            var sent = 0;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (inBody && bodyLines is { } limit && sent++ >= limit)
                    break;
                Write(line.StartsWith('.') ? "." + line : line, Encoding.Latin1);
                if (!inBody && line.Length == 0)
                    inBody = true;
                if (transport.Output.UnflushedBytes > 64 * 1024)
                    await transport.Output.FlushAsync(cancellationToken);
            }
            Write(".");
        }
        if (bodyLines is null && !message.Item.Flags.HasFlag(MessageFlags.Seen))
            await services.Store.SetFlagsAsync(inbox!.Id, [message.Item.Uid], new FlagChange(FlagOperation.Add, MessageFlags.Seen, []), cancellationToken);
    }

    /// <summary>QUIT: in the transaction state the deletions are made now (the UPDATE state of RFC 1939).</summary>
    async Task QuitAsync(CancellationToken cancellationToken)
    {
        if (state == State.Transaction)
        {
            var deleted = messages.Where(m => m.Deleted).Select(m => m.Item.Uid).ToList();
            if (deleted.Count > 0)
            {
                try
                {
                    await services.Store.ExpungeAsync(inbox!.Id, deleted, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "POP3 deletions for {Login} failed", user?.Login);
                    Write("-ERR [SYS/TEMP] Some deleted messages were not removed");
                    state = State.Done;
                    return;
                }
            }
            Write($"+OK {Options.HostName} Rookery POP3 signing off ({deleted.Count} messages deleted)");
        }
        else
            Write($"+OK {Options.HostName} Rookery POP3 signing off");
        state = State.Done;
    }

    void Write(string line) => Write(line, Encoding.UTF8);

    void Write(string line, Encoding encoding)
    {
        var output = transport.Output;
        encoding.GetBytes(line, output);
        output.Write("\r\n"u8);
    }

    public void Dispose()
    {
        if (user is not null)
            services.Locks.TryRemove(user.Login, out _);
        user = null;
    }
}
