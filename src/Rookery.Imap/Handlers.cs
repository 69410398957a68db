using Rookery.Imap.Protocol;

namespace Rookery.Imap;

public sealed partial class ImapSession
{
    /// <summary>A command: the states it is allowed in, what it does, and whether EXPUNGE responses may follow it.</summary>
    sealed record Handler(SessionState[] States, Func<ImapSession, ImapCommandLine, CancellationToken, Task<string?>> Run, bool AllowsExpungeResponses = true)
    {
        public bool AllowsExpunge(ImapCommandLine command) => AllowsExpungeResponses;
    }

    static readonly SessionState[] AnyState = [SessionState.NotAuthenticated, SessionState.Authenticated, SessionState.Selected];
    static readonly SessionState[] NotAuthenticated = [SessionState.NotAuthenticated];
    static readonly SessionState[] Authenticated = [SessionState.Authenticated, SessionState.Selected];
    static readonly SessionState[] Selected = [SessionState.Selected];

    /// <summary>The state table (RFC 9051 §6): which commands exist and where they may be used.</summary>
    static readonly Dictionary<string, Handler> Handlers = new(StringComparer.Ordinal)
    {
        ["CAPABILITY"] = new(AnyState, (s, c, ct) => s.CapabilityAsync(c)),
        ["NOOP"] = new(AnyState, (s, c, ct) => Task.FromResult<string?>(null)),
        ["LOGOUT"] = new(AnyState, (s, c, ct) => s.LogoutAsync(c)),
        ["ID"] = new(AnyState, (s, c, ct) => s.IdAsync(c)),
        ["STARTTLS"] = new(NotAuthenticated, (s, c, ct) => s.StartTlsAsync(c)),
        ["LOGIN"] = new(NotAuthenticated, (s, c, ct) => s.LoginAsync(c, ct)),
        ["AUTHENTICATE"] = new(NotAuthenticated, (s, c, ct) => s.AuthenticateAsync(c, ct)),
        ["ENABLE"] = new(Authenticated, (s, c, ct) => s.EnableAsync(c)),
        ["NAMESPACE"] = new(Authenticated, (s, c, ct) => s.NamespaceAsync(c)),
        ["LIST"] = new(Authenticated, (s, c, ct) => s.ListAsync(c, ct)),
        ["LSUB"] = new(Authenticated, (s, c, ct) => s.LsubAsync(c, ct)),
        ["STATUS"] = new(Authenticated, (s, c, ct) => s.StatusAsync(c, ct)),
        ["CREATE"] = new(Authenticated, (s, c, ct) => s.CreateAsync(c, ct)),
        ["DELETE"] = new(Authenticated, (s, c, ct) => s.DeleteAsync(c, ct)),
        ["RENAME"] = new(Authenticated, (s, c, ct) => s.RenameAsync(c, ct)),
        ["SUBSCRIBE"] = new(Authenticated, (s, c, ct) => s.SubscribeAsync(c, true, ct)),
        ["UNSUBSCRIBE"] = new(Authenticated, (s, c, ct) => s.SubscribeAsync(c, false, ct)),
        ["SELECT"] = new(Authenticated, (s, c, ct) => s.SelectAsync(c, readOnly: false, ct)),
        ["EXAMINE"] = new(Authenticated, (s, c, ct) => s.SelectAsync(c, readOnly: true, ct)),
        ["NOTIFY"] = new(Authenticated, (s, c, ct) => s.NotifyAsync(c, ct)),
        ["CANCELUPDATE"] = new(Selected, (s, c, ct) => s.CancelUpdateAsync(c)),
        ["APPEND"] = new(Authenticated, (s, c, ct) => s.AppendAsync(c, ct)),
        ["IDLE"] = new(Authenticated, (s, c, ct) => s.IdleAsync(c, ct)),
        ["GETQUOTA"] = new(Authenticated, (s, c, ct) => s.GetQuotaAsync(c, ct)),
        ["GETQUOTAROOT"] = new(Authenticated, (s, c, ct) => s.GetQuotaRootAsync(c, ct)),
        ["SETQUOTA"] = new(Authenticated, (s, c, ct) => SetQuotaAsync(c)),
        ["GETACL"] = new(Authenticated, (s, c, ct) => s.GetAclAsync(c, ct)),
        ["SETACL"] = new(Authenticated, (s, c, ct) => s.SetAclAsync(c, ct)),
        ["DELETEACL"] = new(Authenticated, (s, c, ct) => s.DeleteAclAsync(c, ct)),
        ["LISTRIGHTS"] = new(Authenticated, (s, c, ct) => s.ListRightsAsync(c, ct)),
        ["MYRIGHTS"] = new(Authenticated, (s, c, ct) => s.MyRightsAsync(c, ct)),
        ["CHECK"] = new(Selected, (s, c, ct) => Task.FromResult<string?>(null)),
        ["CLOSE"] = new(Selected, (s, c, ct) => s.CloseAsync(c, expunge: true, ct)),
        ["UNSELECT"] = new(Selected, (s, c, ct) => s.CloseAsync(c, expunge: false, ct)),
        ["EXPUNGE"] = new(Selected, (s, c, ct) => s.ExpungeAsync(c, uids: false, ct)),
        ["UID EXPUNGE"] = new(Selected, (s, c, ct) => s.ExpungeAsync(c, uids: true, ct)),
        ["FETCH"] = new(Selected, (s, c, ct) => s.FetchAsync(c, uids: false, ct), AllowsExpungeResponses: false),
        ["UID FETCH"] = new(Selected, (s, c, ct) => s.FetchAsync(c, uids: true, ct)),
        ["STORE"] = new(Selected, (s, c, ct) => s.StoreAsync(c, uids: false, ct), AllowsExpungeResponses: false),
        ["UID STORE"] = new(Selected, (s, c, ct) => s.StoreAsync(c, uids: true, ct)),
        ["COPY"] = new(Selected, (s, c, ct) => s.CopyAsync(c, uids: false, move: false, ct)),
        ["UID COPY"] = new(Selected, (s, c, ct) => s.CopyAsync(c, uids: true, move: false, ct)),
        ["MOVE"] = new(Selected, (s, c, ct) => s.CopyAsync(c, uids: false, move: true, ct)),
        ["UID MOVE"] = new(Selected, (s, c, ct) => s.CopyAsync(c, uids: true, move: true, ct)),
        ["SEARCH"] = new(Selected, (s, c, ct) => s.SearchAsync(c, uids: false, ct), AllowsExpungeResponses: false),
        ["UID SEARCH"] = new(Selected, (s, c, ct) => s.SearchAsync(c, uids: true, ct)),
        ["SORT"] = new(Selected, (s, c, ct) => s.SortAsync(c, uids: false, ct), AllowsExpungeResponses: false),
        ["UID SORT"] = new(Selected, (s, c, ct) => s.SortAsync(c, uids: true, ct)),
        ["THREAD"] = new(Selected, (s, c, ct) => s.ThreadAsync(c, uids: false, ct), AllowsExpungeResponses: false),
        ["UID THREAD"] = new(Selected, (s, c, ct) => s.ThreadAsync(c, uids: true, ct)),
    };
}
