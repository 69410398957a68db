using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Directory;
using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

public enum SessionState
{
    NotAuthenticated,
    Authenticated,
    Selected,
    Logout,
}

/// <summary>
/// One IMAP connection (RFC 9051, with IMAP4rev1 clients served as RFC 3501 says): reads command
/// lines, runs each through the handler the state table allows, and sends the untagged updates
/// other sessions' changes cause at the points the RFC allows them. A command error is a tagged
/// NO or BAD and the session goes on; a broken stream closes it.
/// </summary>
/// <param name="startTls">Wraps the connection in TLS (STARTTLS); null when no certificate is configured or the connection is already encrypted.</param>
public sealed partial class ImapSession(IDuplexPipe transport, ImapServices services, ImapConnection connection, Func<IDuplexPipe, CancellationToken, Task<IDuplexPipe>>? startTls = null, ILogger? logger = null) : IDisposable
{
    readonly ILogger log = logger ?? NullLogger.Instance;
    readonly CommandLineParser parser = new(services.Options.Limits);
    IDuplexPipe transport = transport;
    ImapWriter writer = new(transport.Output);
    ImapConnection connection = connection;
    bool tlsRequested;
    int badCommands;

    UserAccount? user;
    StoreInfo? store;
    /// <summary>The store as the logged-in user may use it: permissions are checked there.</summary>
    UserMailStore? userStore;
    ChangeSubscription? changes;
    MailboxView? selected;
    int announcedExists;
    /// <summary>Whether the input holds the start of a command the parser has not finished.</summary>
    bool inputPending;
    /// <summary>The \Recent count the client last heard (IMAP4rev1): a RECENT response follows any change of it, expunges included.</summary>
    int announcedRecent;
    /// <summary>RFC 7162: MODSEQ in FETCH responses (CONDSTORE), VANISHED instead of EXPUNGE (QRESYNC).</summary>
    bool condStore, qResync;
    /// <summary>ENABLE IMAP4rev2 (RFC 9051) and ENABLE UTF8=ACCEPT (RFC 6855); IMAP4rev2 implies UTF-8 too.</summary>
    bool imap4rev2, utf8Accept;
    /// <summary>SEARCHRES (RFC 5182): the UIDs the last SEARCH ... RETURN (SAVE) found, for "$".</summary>
    List<long> savedSearch = [];

    public SessionState State { get; private set; } = SessionState.NotAuthenticated;

    ImapOptions Options => services.Options;
    IMailStore Store => (IMailStore?)userStore ?? services.Store;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        writer.Untagged($"OK [CAPABILITY {Capabilities()}] {Options.HostName} Rookery IMAP ready");
        await FlushAsync(cancellationToken);
        try
        {
            while (State != SessionState.Logout)
            {
                var input = transport.Input;
                ReadResult read;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Stopping))
                {
                    idle.CancelAfter(State == SessionState.NotAuthenticated ? Options.LoginTimeout : Options.IdleTimeout);
                    // after NOTIFY, changes go out between commands too: one wakes the wait for the next command
                    // (not while part of a command is in: its sequence numbers must keep their meaning)
                    using var wake = notify is null || inputPending ? null : WakeOnChanges(input, idle.Token);
                    try
                    {
                        read = await input.ReadAsync(idle.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        writer.Untagged(connection.Stopping.IsCancellationRequested ? "BYE Server shutting down" : "BYE Autologout; idle for too long");
                        await FlushAsync(cancellationToken);
                        return;
                    }
                    finally
                    {
                        wake?.Cancel();
                    }
                }
                if (read.IsCanceled && read.Buffer.IsEmpty && !parser.InCommand)
                {
                    // woken by a change, and no command begun: nothing is taken from the input
                    input.AdvanceTo(read.Buffer.Start);
                    await DeliverNotificationsSafelyAsync(betweenCommands: true, cancellationToken);
                    await FlushAsync(cancellationToken);
                    continue;
                }
                var buffer = read.Buffer;
                var reader = new SequenceReader<byte>(buffer);
                var status = parser.TryParse(ref reader, out var command, out var error);
                var drained = reader.End;
                input.AdvanceTo(reader.Position, status == ParseStatus.NeedMoreData ? buffer.End : reader.Position);
                inputPending = parser.InCommand || (status == ParseStatus.NeedMoreData && !reader.End);
                switch (status)
                {
                    case ParseStatus.NeedMoreData:
                        if (!buffer.IsEmpty)
                            connection.AcknowledgeNow?.Invoke();
                        await FlushAsync(cancellationToken);
                        if (read.IsCompleted)
                            return;
                        continue;
                    case ParseStatus.NeedContinuation:
                        writer.Continuation("Ready for literal data");
                        await FlushAsync(cancellationToken);
                        continue;
                    case ParseStatus.Error:
                        if (!await RefuseAsync(error!, cancellationToken))
                            return;
                        break;
                    case ParseStatus.Command:
                        using (command)
                            await ExecuteAsync(command!, cancellationToken);
                        break;
                }
                if (drained || tlsRequested)
                    await FlushAsync(cancellationToken);
                if (tlsRequested)
                {
                    // Anything the client sent after STARTTLS goes into the handshake, never into a command.
                    tlsRequested = false;
                    transport = await startTls!(transport, cancellationToken);
                    writer = new ImapWriter(transport.Output) { Utf8 = writer.Utf8 };
                    connection = connection with { Secure = true, PlaintextAuthAllowed = true };
                }
            }
            await FlushAsync(cancellationToken);
        }
        finally
        {
            await transport.Input.CompleteAsync();
            await transport.Output.CompleteAsync();
        }
    }

    /// <summary>Sends what the writer holds.</summary>
    ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken)
    {
        writer.Commit();
        return transport.Output.FlushAsync(cancellationToken);
    }

    /// <summary>How much of a long response may wait for the end of the command before it is sent.</summary>
    const int ResponseFlushThreshold = 64 * 1024;

    /// <summary>
    /// Sends what the writer holds once it is more than <see cref="ResponseFlushThreshold"/>, which
    /// bounds what a long FETCH holds in memory (and lets a slow client hold it back) while a short
    /// response goes out whole with its tagged completion, in one send instead of two.
    /// </summary>
    ValueTask<FlushResult> FlushIfLargeAsync(CancellationToken cancellationToken)
    {
        writer.Commit();
        var output = transport.Output;
        if (output.CanGetUnflushedBytes && output.UnflushedBytes < ResponseFlushThreshold)
            return ValueTask.FromResult(new FlushResult(isCanceled: false, isCompleted: false));
        return output.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Answers a line the parser refused, or a command the session cannot run; false (and the session
    /// logs out) when the client has misbehaved too often.
    /// </summary>
    async Task<bool> RefuseAsync(ParseError error, CancellationToken cancellationToken)
    {
        if (error.Tag is null)
            writer.Untagged($"{error.Status} {(error.Code is null ? "" : $"[{error.Code}] ")}{error.Text}");
        else
            writer.Tagged(error.Tag, error.Status, error.Code, error.Text);
        if (error.Status == "BAD" && ++badCommands >= Options.MaxBadCommands)
        {
            writer.Untagged("BYE Too many invalid commands");
            await FlushAsync(cancellationToken);
            State = SessionState.Logout;
            return false;
        }
        return !error.Fatal;
    }

    /// <summary>A command refused by a handler: a tagged NO or BAD, and the session goes on.</summary>
    sealed class CommandException(string status, string? code, string text) : Exception(text)
    {
        public string Status { get; } = status;
        public string? Code { get; } = code;
    }

    static CommandException Bad(string text) => new("BAD", null, text);

    static CommandException No(string text, string? code = null) => new("NO", code, text);

    async Task ExecuteAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        if (!Handlers.TryGetValue(command.Name, out var handler))
        {
            await RefuseAsync(new ParseError(command.Tag, "BAD", null, $"Unknown command {Printable(command.Name)}"), cancellationToken);
            return;
        }
        if (!handler.States.Contains(State))
        {
            var text = State == SessionState.NotAuthenticated ? "Log in first" : State == SessionState.Selected || handler.States.Contains(SessionState.Selected) ? "Select a mailbox first" : "Already logged in";
            await RefuseAsync(new ParseError(command.Tag, "BAD", null, $"{command.Name}: {text}"), cancellationToken);
            return;
        }
        try
        {
            var completion = await handler.Run(this, command, cancellationToken) ?? "completed";
            if (State is SessionState.Authenticated or SessionState.Selected)
            {
                await SendUpdatesAsync(handler.AllowsExpunge(command), cancellationToken);
                await DeliverNotificationsSafelyAsync(betweenCommands: false, cancellationToken);
            }
            writer.Tagged(command.Tag, "OK", completionCode, $"{command.Name} {completion}");
        }
        catch (CommandException e)
        {
            if (e.Status == "BAD" && ++badCommands >= Options.MaxBadCommands)
            {
                writer.Tagged(command.Tag, e.Status, e.Code, e.Message);
                writer.Untagged("BYE Too many invalid commands");
                State = SessionState.Logout;
                return;
            }
            if (State is SessionState.Authenticated or SessionState.Selected && e.Status == "NO")
                await SendUpdatesAsync(handler.AllowsExpunge(command), cancellationToken);
            writer.Tagged(command.Tag, e.Status, e.Code, e.Message);
        }
        catch (QuotaExceededException)
        {
            writer.Tagged(command.Tag, "NO", "OVERQUOTA", "Quota exceeded");
        }
        catch (AccessDeniedException e)
        {
            writer.Tagged(command.Tag, "NO", "NOPERM", e.Message);
        }
        catch (FolderOperationException e)
        {
            writer.Tagged(command.Tag, "NO", "CANNOT", e.Message);
        }
        catch (StoreObjectNotFoundException e)
        {
            writer.Tagged(command.Tag, "NO", "NONEXISTENT", e.Message);
        }
        catch (Blobs.BlobNotFoundException e)
        {
            // a row whose content is gone (lost or damaged storage): the session goes on, other messages still answer
            log.LogError(e, "IMAP {Command} for {User}: message content is missing", command.Name, user?.Login);
            writer.Tagged(command.Tag, "NO", "UNAVAILABLE", "The message content cannot be read");
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException)
        {
            log.LogError(e, "IMAP {Command} failed for {User}", command.Name, user?.Login);
            writer.Tagged(command.Tag, "NO", "SERVERBUG", "Internal error; try again later");
        }
        finally
        {
            completionCode = null;
        }
    }

    /// <summary>A response code for the tagged OK of the running command (APPENDUID, READ-WRITE…).</summary>
    string? completionCode;

    static string Printable(string text) => text.Length > 40 || text.Any(c => c is < ' ' or > '~') ? "(unprintable)" : text;

    /// <summary>
    /// Sends what changed in the selected mailbox since the last update: EXISTS, flag changes and,
    /// where allowed, EXPUNGE (VANISHED with QRESYNC).
    /// </summary>
    async Task SendUpdatesAsync(bool allowExpunge, CancellationToken cancellationToken)
    {
        if (selected is null || changes is null)
            return;
        var dirty = false;
        var countsChanged = false;
        // what the view has already taken (the session's own writes) needs no look at the change log
        long notified = 0;
        while (changes.Reader.TryRead(out var change))
        {
            dirty |= change.ModSeq > selected.ModSeq;
            notified = Math.Max(notified, change.ModSeq);
        }
        if (dirty)
        {
            MailboxView.Delta delta;
            try
            {
                delta = await selected.SyncAsync(Store, selected.Mailbox.Folder.StoreId, cancellationToken, notified);
            }
            catch (AccessDeniedException)
            {
                // the owner took the right to read it away: the mailbox is gone for this user
                selected = null;
                State = SessionState.Authenticated;
                writer.Untagged("OK [CLOSED] No permission to read the selected mailbox any more");
                return;
            }
            if (delta.MailboxGone)
            {
                selected = null;
                State = SessionState.Authenticated;
                writer.Untagged("OK [CLOSED] The selected mailbox was deleted");
                return;
            }
            AnnounceNewKeywords();
            foreach (var message in delta.FlagsChanged)
                WriteFlags(selected.SequenceOf(message.Uid), message, includeUid: true);
            if (delta.Added > 0 && !selected.ReadOnly && !imap4rev2)
            {
                // new messages are \Recent in the one session that claims them first
                var firstRecent = await Store.ClaimRecentAsync(selected.FolderId, cancellationToken: cancellationToken);
                foreach (var message in selected.Messages)
                {
                    if (message.Uid >= firstRecent && !message.Expunged)
                        message.Recent = true;
                }
                countsChanged = true;
            }
        }
        if (allowExpunge && selected.HasPendingExpunges)
        {
            var expunged = selected.TakeExpunged();
            WriteSearchRemovals(expunged);
            WriteExpunges(expunged);
            countsChanged = true;
        }
        var firstNew = announcedExists + 1;
        if (selected.Count > announcedExists || (allowExpunge && selected.Count != announcedExists))
        {
            writer.Untagged($"{selected.Count} EXISTS");
            announcedExists = selected.Count;
            countsChanged = true;
        }
        // as Dovecot does: the client's count of \Recent messages follows EXPUNGEs of them too (imaptest's
        // checkpoints add up every session's count and find too many otherwise)
        if (countsChanged && !imap4rev2 && selected.RecentCount is var recent && recent != announcedRecent)
        {
            writer.Untagged($"{recent} RECENT");
            announcedRecent = recent;
        }
        if (selected.Count >= firstNew && notify?.SelectedEvents.HasFlag(NotifyEvents.MessageNew) == true)
            await FetchNewMessagesAsync(firstNew, cancellationToken);
        await SendSearchUpdatesAsync(cancellationToken);
    }

    void WriteExpunges(IReadOnlyList<(int Seq, long Uid)> expunged)
    {
        if (expunged.Count == 0)
            return;
        if (qResync)
            writer.Untagged($"VANISHED {UidSet(expunged.Select(e => e.Uid))}");
        else
        {
            foreach (var (seq, _) in expunged)
                writer.Untagged($"{seq} EXPUNGE");
        }
        announcedExists -= expunged.Count;
    }

    void WriteFlags(int seq, ViewMessage message, bool includeUid)
    {
        AnnounceNewKeywords();
        writer.Raw("* "u8).Number(seq).Raw(" FETCH ("u8);
        if (includeUid)
            writer.Raw("UID "u8).Number(message.Uid).Space();
        writer.Raw("FLAGS "u8);
        WriteFlagList(message);
        if (condStore)
            writer.Raw(" MODSEQ ("u8).Number(message.ModSeq).Raw(")"u8);
        writer.Raw(")"u8).EndLine();
    }

    /// <summary>UIDs as a compact sequence set: 1:3,7.</summary>
    internal static string UidSet(IEnumerable<long> uids) => OrderedSet(uids.Order().ToList());

    /// <summary>Numbers as a sequence set that keeps their order: runs that go up by one become a range (5,3:4,2,1).</summary>
    internal static string OrderedSet(IReadOnlyList<long> numbers)
    {
        var parts = new List<string>();
        for (var i = 0; i < numbers.Count;)
        {
            var j = i;
            while (j + 1 < numbers.Count && numbers[j + 1] == numbers[j] + 1)
                j++;
            parts.Add(i == j ? numbers[i].ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{numbers[i]}:{numbers[j]}");
            i = j + 1;
        }
        return string.Join(',', parts);
    }

    public void Dispose()
    {
        changes?.Dispose();
        changes = null;
        StopNotify();
        if (user is not null)
            services.UserSessions.Leave(user.Login);
        user = null;
    }
}
