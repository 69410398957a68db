using Rookery.Imap.Protocol;

namespace Rookery.Imap;

/// <summary>Settings of the IMAP service (gateway.cfg), the same for every session.</summary>
public sealed record ImapOptions
{
    public string HostName { get; init; } = "localhost";
    public ParserLimits Limits { get; init; } = new();
    /// <summary>imap_only_mailfolders: hide calendar, contacts, tasks, notes and journal folders.</summary>
    public bool OnlyMailFolders { get; init; } = true;
    /// <summary>Inactivity after which an authenticated session is closed (RFC 9051: at least 30 minutes).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);
    /// <summary>Inactivity after which a session that has not logged in is closed.</summary>
    public TimeSpan LoginTimeout { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Bad commands after which the connection is closed.</summary>
    public int MaxBadCommands { get; init; } = 20;
}

/// <summary>What the session knows about its connection.</summary>
/// <param name="ClientAddress">For throttling and logs.</param>
/// <param name="Secure">TLS is on (imaps, or after STARTTLS).</param>
/// <param name="PlaintextAuthAllowed">LOGIN and AUTHENTICATE PLAIN are allowed on this connection as it is now.</param>
public sealed record ImapConnection(string ClientAddress, bool Secure, bool PlaintextAuthAllowed)
{
    /// <summary>
    /// Acknowledges what has arrived at once (TCP quick ACK) instead of after the kernel's delayed-ACK
    /// wait; called while a command is incomplete. A client with Nagle's algorithm on holds the rest of
    /// an APPEND (its literal) until that acknowledgement, which would otherwise cost 40 ms.
    /// </summary>
    public Action? AcknowledgeNow { get; init; }

    /// <summary>The server is stopping: a session waiting for a command (or in IDLE) says BYE and ends.</summary>
    public CancellationToken Stopping { get; init; }
}
