using Rookery.Imap.Protocol;

namespace Rookery.Imap;

/// <summary>IDLE (RFC 2177): changes from any session or protocol are pushed as they are committed.</summary>
public sealed partial class ImapSession
{
    async Task<string?> IdleAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 0);
        await SendUpdatesAsync(allowExpunge: true, cancellationToken);
        writer.Continuation("idling");
        await FlushAsync(cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Stopping);
        stop.CancelAfter(Options.IdleTimeout);
        var done = ReadLineAsync(stop.Token);
        while (true)
        {
            var changed = WaitForChangesAsync(stop.Token);
            var first = await Task.WhenAny(done, changed);
            if (first == done || changed.IsCanceled)
                break; // a cancelled wait for changes is the timeout or the stop that also ends `done`
            if (!await changed)
                continue;
            await SendUpdatesAsync(allowExpunge: true, cancellationToken);
            await DeliverNotificationsSafelyAsync(betweenCommands: false, cancellationToken);
            await FlushAsync(cancellationToken);
            if (selected is null && changes!.Reader.TryPeek(out _))
                while (changes!.Reader.TryRead(out _)) { } // nothing selected: nothing to report
        }
        string? line;
        try
        {
            line = await done;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            writer.Untagged(connection.Stopping.IsCancellationRequested ? "BYE Server shutting down" : "BYE Autologout; idle for too long");
            State = SessionState.Logout;
            return connection.Stopping.IsCancellationRequested ? "ended: server shutting down" : "timed out";
        }
        if (line is null)
            throw new IOException("connection closed during IDLE");
        if (!line.Equals("DONE", StringComparison.OrdinalIgnoreCase))
            throw Bad("Expected DONE");
        return "terminated";
    }
}
