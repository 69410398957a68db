using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>COPY, MOVE (RFC 6851) and their UID forms, with UIDPLUS's COPYUID.</summary>
public sealed partial class ImapSession
{
    async Task<string?> CopyAsync(ImapCommandLine command, bool uids, bool move, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 2);
        var view = selected!;
        if (move && view.ReadOnly)
            throw No("The mailbox is read-only", "READ-ONLY");
        var targets = Resolve(Sequence(command.Arguments[0]), uids).Where(t => !t.Message.Expunged).ToList();
        var targetName = MailboxName(command.Arguments[1]);
        var target = (await TreeAsync(cancellationToken, targetName)).Find(targetName) ?? throw No("Mailbox does not exist", "TRYCREATE");
        Demand(target, FolderAction.Insert, "add messages to the target mailbox", absentCode: "TRYCREATE");
        if (move && !(view.Mailbox.Allows(FolderAction.SetDeleted) && view.Mailbox.Allows(FolderAction.Expunge)))
            throw No("No permission to remove messages from this mailbox", "NOPERM");
        if (targets.Count == 0)
            return null;
        var sourceUids = targets.Select(t => t.Message.Uid).ToList();
        var result = move
            ? await Store.MoveItemsAsync(view.FolderId, sourceUids, target.Folder.Id, cancellationToken)
            : await Store.CopyItemsAsync(view.FolderId, sourceUids, target.Folder.Id, cancellationToken);
        if (result.Mappings.Count == 0)
            return null;
        var copyUid = $"COPYUID {result.TargetUidValidity} {UidSet(result.Mappings.Select(m => m.SourceUid))} {UidSet(result.Mappings.Select(m => m.TargetUid))}";
        if (!move)
        {
            completionCode = copyUid;
            return null;
        }
        // RFC 6851: COPYUID in an untagged OK before the EXPUNGEs
        writer.Untagged($"OK [{copyUid}] Moved");
        var moved = result.Mappings.Select(m => m.SourceUid).ToHashSet();
        foreach (var message in view.Messages)
        {
            if (moved.Contains(message.Uid))
                message.Expunged = true;
        }
        return null;
    }
}
