namespace Rookery.Imap;

/// <summary>
/// What ENABLE IMAP4rev2 changes in a session (RFC 9051 §6.3.1 and Appendix E). Every session is served
/// by the same code; these are the points where IMAP4rev1 (RFC 3501) and IMAP4rev2 answer differently:
/// no \Recent flag, RECENT response, UNSEEN response code or RECENT/NEW/OLD search keys; SEARCH answers
/// ESEARCH; SELECT and EXAMINE send the mailbox's LIST response; mailbox names and strings are UTF-8; and
/// message/global parts are messages in BODYSTRUCTURE and sections.
/// </summary>
public sealed partial class ImapSession
{
    void EnableImap4rev2()
    {
        imap4rev2 = true;
        // RFC 9051 §5.1: mailbox names are UTF-8, never modified UTF-7; quoted strings may carry UTF-8 (§4.3)
        writer.Utf8 = true;
        // \Recent is no IMAP4rev2 flag. ENABLE belongs before SELECT (RFC 9051 §6.3.1), but a server need not
        // check that: a mailbox already selected stops showing \Recent from here on.
        if (selected is not null)
        {
            foreach (var message in selected.Messages)
                message.Recent = false;
        }
    }

    /// <summary>RECENT, NEW and OLD are not IMAP4rev2 search keys (RFC 9051 §6.4.4 and its formal syntax): BAD, as for any unknown key.</summary>
    void RefuseRecentKeys(SearchKey key)
    {
        if (imap4rev2 && UsesRecent(key))
            throw Bad("RECENT, NEW and OLD are not IMAP4rev2 search keys");

        static bool UsesRecent(SearchKey key) => key switch
        {
            RecentKey => true,
            NotKey n => UsesRecent(n.Key),
            OrKey o => UsesRecent(o.Left) || UsesRecent(o.Right),
            AndKey a => a.Keys.Any(UsesRecent),
            _ => false,
        };
    }
}
