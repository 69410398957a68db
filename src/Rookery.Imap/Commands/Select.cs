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
        if (selected is not null)
        {
            selected = null;
            State = SessionState.Authenticated;
            writer.Untagged("OK [CLOSED] Previous mailbox closed");
        }
        var mailbox = await ExistingAsync(name, cancellationToken);
        var modSeq = (await Store.GetStoreAsync(store!.Id, cancellationToken)).ModSeq;
        var folder = await Store.GetFolderAsync(mailbox.Folder.Id, cancellationToken);
        var items = await Store.ListItemsAsync(folder.Id, cancellationToken: cancellationToken);
        while (changes!.Reader.TryRead(out _)) { } // the view starts from what was just read
        var view = new MailboxView(mailbox with { Folder = folder }, readOnly, items, modSeq);

        var keywords = view.Messages.SelectMany(m => m.Item.Keywords).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        var flags = SystemFlags + string.Concat(keywords.Select(k => " " + k));
        writer.Untagged($"FLAGS ({flags})");
        writer.Untagged(readOnly ? "OK [PERMANENTFLAGS ()] Read-only mailbox" : $"OK [PERMANENTFLAGS ({flags} \\*)] Flags permitted");
        writer.Untagged($"{view.Count} EXISTS");
        writer.Untagged("0 RECENT");
        var firstUnseen = view.Messages.Select((m, i) => (m, i)).FirstOrDefault(x => !x.m.Item.Flags.HasFlag(MessageFlags.Seen));
        if (firstUnseen.m is not null)
            writer.Untagged($"OK [UNSEEN {firstUnseen.i + 1}] First unseen");
        writer.Untagged($"OK [UIDVALIDITY {folder.UidValidity}] UIDs valid");
        writer.Untagged($"OK [UIDNEXT {view.UidNext}] Predicted next UID");
        selected = view;
        announcedExists = view.Count;
        State = SessionState.Selected;
        completionCode = readOnly ? "READ-ONLY" : "READ-WRITE";
        return "completed";
    }

    async Task<string?> CloseAsync(ImapCommandLine command, bool expunge, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 0);
        var view = selected!;
        if (expunge && !view.ReadOnly)
        {
            var deleted = view.Messages.Where(m => !m.Expunged && m.Item.Flags.HasFlag(MessageFlags.Deleted)).Select(m => m.Uid).ToList();
            if (deleted.Count > 0)
                await Store.ExpungeAsync(view.FolderId, deleted, cancellationToken);
        }
        selected = null;
        State = SessionState.Authenticated;
        return null;
    }

    async Task<string?> ExpungeAsync(ImapCommandLine command, bool uids, CancellationToken cancellationToken)
    {
        ExpectArguments(command, uids ? 1 : 0);
        var view = selected!;
        if (view.ReadOnly)
            throw No("The mailbox is read-only", "READ-ONLY");
        IEnumerable<ViewMessage> candidates = uids ? Resolve(Sequence(command.Arguments[0]), uids: true).Select(r => r.Message) : view.Messages;
        var deleted = candidates.Where(m => !m.Expunged && m.Item.Flags.HasFlag(MessageFlags.Deleted)).Select(m => m.Uid).ToList();
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
