using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE and UID EXPUNGE.</summary>
public sealed partial class ImapSession
{
    const string SystemFlags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

    async Task<string?> SelectAsync(ImapCommandLine command, bool readOnly, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 1, 2);
        var name = MailboxName(command.Arguments[0]);
        var resync = command.Arguments.Count == 2 ? SelectParameters(command.Arguments[1]) : null;
        if (selected is not null)
        {
            selected = null;
            State = SessionState.Authenticated;
            writer.Untagged("OK [CLOSED] Previous mailbox closed");
        }
        savedSearch = [];
        var mailbox = await ExistingAsync(name, cancellationToken);
        Demand(mailbox, FolderAction.Read, "read this mailbox");
        // RFC 4314 §4: without any right to change messages the mailbox opens read-only
        readOnly |= !(mailbox.Allows(FolderAction.SetSeen) || mailbox.Allows(FolderAction.SetFlags) || mailbox.Allows(FolderAction.SetDeleted) || mailbox.Allows(FolderAction.Expunge));
        var storeId = mailbox.Folder.StoreId;
        if (changes!.StoreId != storeId)
        {
            // follow the change log of the store the mailbox is in: another user's or the public store
            changes.Dispose();
            changes = Store.Notifier.Subscribe(storeId);
        }
        var modSeq = (await Store.GetStoreAsync(storeId, cancellationToken)).ModSeq;
        var folder = await Store.GetFolderAsync(mailbox.Folder.Id, cancellationToken);
        var items = await Store.ListItemStatesAsync(folder.Id, cancellationToken: cancellationToken);
        // SELECT takes the messages no session has seen as its \Recent ones; EXAMINE only looks; an
        // IMAP4rev2 session has no \Recent and leaves them to the IMAP4rev1 sessions
        // the claim reaches every message the view starts with, those appended after the folder was read included
        var highest = items.Count > 0 ? items.Max(i => i.Uid) : 0;
        var claimable = highest >= folder.UidNext ? folder with { UidNext = highest + 1 } : folder;
        var firstRecent = imap4rev2 ? long.MaxValue : readOnly ? folder.RecentUid : await Store.ClaimRecentAsync(folder.Id, claimable, cancellationToken);
        // after the messages: a keyword that left them meanwhile is still in the folder's list
        var folderKeywords = await Store.ListKeywordsAsync(folder.Id, cancellationToken);
        var view = new MailboxView(mailbox with { Folder = folder }, readOnly, items, modSeq, firstRecent, folderKeywords);

        WriteFlagLists(view);
        writer.Untagged($"{view.Count} EXISTS");
        if (!imap4rev2)
        {
            // IMAP4rev1 only (RFC 9051 Appendix E drops both)
            announcedRecent = view.RecentCount;
            writer.Untagged($"{announcedRecent} RECENT");
            var firstUnseen = view.Messages.Select((m, i) => (m, i)).FirstOrDefault(x => !x.m.Flags.HasFlag(MessageFlags.Seen));
            if (firstUnseen.m is not null)
                writer.Untagged($"OK [UNSEEN {firstUnseen.i + 1}] First unseen");
        }
        writer.Untagged($"OK [UIDVALIDITY {folder.UidValidity}] UIDs valid");
        writer.Untagged($"OK [UIDNEXT {view.UidNext}] Predicted next UID");
        if (imap4rev2)
        {
            // the name as the server spells it, and as the client did when that was not in NFC (RFC 9051 §6.3.2)
            var given = name.TrimEnd(MailboxTree.Delimiter);
            WriteListLine("LIST", ListAttributes(mailbox, placeholder: false, isSubscribed: false, [], []), mailbox.Name, MailboxTree.Nfc(given) != given ? given : null);
        }
        if (condStore)
            writer.Untagged($"OK [HIGHESTMODSEQ {view.HighestModSeq}] Highest");
        selected = view;
        announcedExists = view.Count;
        State = SessionState.Selected;
        if (resync is { } r && r.UidValidity == folder.UidValidity)
            await ResynchronizeAsync(r, cancellationToken);
        completionCode = readOnly ? "READ-ONLY" : "READ-WRITE";
        return "completed";
    }

    /// <summary>
    /// FLAGS and PERMANENTFLAGS with every keyword the view knows: at SELECT, and again whenever a message
    /// takes a new one, before any response carries it.
    /// </summary>
    void WriteFlagLists(MailboxView view)
    {
        var keywords = view.Keywords;
        writer.Untagged($"FLAGS ({SystemFlags}{string.Concat(keywords.Select(k => " " + k))})");
        writer.Untagged(view.ReadOnly ? "OK [PERMANENTFLAGS ()] Read-only mailbox" : $"OK [PERMANENTFLAGS ({PermanentFlags(view.Mailbox, keywords)})] Flags permitted");
    }

    /// <summary>Announces the keywords messages of the selected mailbox took since the last FLAGS.</summary>
    void AnnounceNewKeywords()
    {
        if (selected is { } view && view.TakeNewKeywords())
            WriteFlagLists(view);
    }

    /// <summary>The flags this user may change (RFC 4314 §4: \Seen with "s", \Deleted with "t", the others with "w").</summary>
    static string PermanentFlags(Mailbox mailbox, IEnumerable<string> keywords)
    {
        var w = mailbox.Allows(FolderAction.SetFlags);
        var flags = new List<string>();
        if (w)
            flags.AddRange(["\\Answered", "\\Flagged"]);
        if (mailbox.Allows(FolderAction.SetDeleted))
            flags.Add("\\Deleted");
        if (mailbox.Allows(FolderAction.SetSeen))
            flags.Add("\\Seen");
        if (w)
            flags.AddRange(["\\Draft", .. keywords, "\\*"]);
        return string.Join(' ', flags);
    }

    /// <summary>QRESYNC's SELECT parameter: what the client last saw of the mailbox.</summary>
    sealed record Resync(long UidValidity, long ModSeq, SequenceSet? KnownUids);

    /// <summary>SELECT's optional parameters: (CONDSTORE) or (QRESYNC (uidvalidity modseq [known-uids [seq-match]])).</summary>
    Resync? SelectParameters(ImapArgument argument)
    {
        Resync? resync = null;
        var items = List(argument);
        for (var i = 0; i < items.Count; i++)
        {
            var name = Atom(items[i]).ToUpperInvariant();
            if (name == "CONDSTORE")
                EnableCondStore();
            else if (name == "QRESYNC" && i + 1 < items.Count)
            {
                if (!qResync)
                    throw Bad("QRESYNC must be enabled first (ENABLE QRESYNC)");
                var values = List(items[++i]);
                if (values.Count < 2)
                    throw Bad("QRESYNC needs a UIDVALIDITY and a mod-sequence");
                resync = new Resync(Number(values[0]), Number(values[1]), values.Count > 2 ? Sequence(values[2]) : null);
            }
            else
                throw Bad($"Unknown SELECT parameter {Printable(name)}");
        }
        return resync;
    }

    /// <summary>QRESYNC (RFC 7162 §3.2.5.1): what vanished and what changed since the client's mod-sequence.</summary>
    async Task ResynchronizeAsync(Resync resync, CancellationToken cancellationToken)
    {
        var view = selected!;
        var vanished = await ExpungedSinceAsync(view, resync.ModSeq, cancellationToken);
        if (resync.KnownUids is { } known)
            vanished = vanished.Where(uid => known.Contains(uid, long.MaxValue)).ToList();
        vanished = vanished.Where(uid => view.SequenceOf(uid) == 0).ToList();
        if (vanished.Count > 0)
            writer.Untagged($"VANISHED (EARLIER) {UidSet(vanished)}");
        for (var seq = 1; seq <= view.Count; seq++)
        {
            var message = view[seq];
            if (message.ModSeq > resync.ModSeq && (resync.KnownUids is not { } k || k.Contains(message.Uid, long.MaxValue)))
                WriteFlags(seq, message, includeUid: true);
        }
    }

    async Task<string?> CloseAsync(ImapCommandLine command, bool expunge, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 0);
        var view = selected!;
        if (expunge && !view.ReadOnly && view.Mailbox.Allows(FolderAction.Expunge))
        {
            var deleted = view.Messages.Where(m => !m.Expunged && m.Flags.HasFlag(MessageFlags.Deleted)).Select(m => m.Uid).ToList();
            if (deleted.Count > 0)
                await Store.ExpungeAsync(view.FolderId, deleted, cancellationToken);
        }
        selected = null;
        savedSearch = [];
        State = SessionState.Authenticated;
        return null;
    }

    async Task<string?> ExpungeAsync(ImapCommandLine command, bool uids, CancellationToken cancellationToken)
    {
        ExpectArguments(command, uids ? 1 : 0);
        var view = selected!;
        if (view.ReadOnly)
            throw No("The mailbox is read-only", "READ-ONLY");
        if (!view.Mailbox.Allows(FolderAction.Expunge))
            throw No("No permission to expunge messages in this mailbox", "NOPERM");
        IEnumerable<ViewMessage> candidates = uids ? Resolve(Sequence(command.Arguments[0]), uids: true).Select(r => r.Message) : view.Messages;
        var deleted = candidates.Where(m => !m.Expunged && m.Flags.HasFlag(MessageFlags.Deleted)).Select(m => m.Uid).ToList();
        if (deleted.Count == 0)
            return null;
        var removed = (await Store.ExpungeAsync(view.FolderId, deleted, cancellationToken)).ToHashSet();
        foreach (var message in view.Messages)
        {
            if (removed.Contains(message.Uid))
                message.Expunged = true;
        }
        return null;
    }
}
