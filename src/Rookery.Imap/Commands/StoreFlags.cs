using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>STORE and UID STORE (RFC 9051 §6.4.6).</summary>
public sealed partial class ImapSession
{
    async Task<string?> StoreAsync(ImapCommandLine command, bool uids, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 3, int.MaxValue);
        var view = selected!;
        if (view.ReadOnly)
            throw No("The mailbox is read-only", "READ-ONLY");
        var targets = Resolve(Sequence(command.Arguments[0]), uids);
        var next = 1;
        long? unchangedSince = null;
        if (command.Arguments[1] is ImapList modifiers)
        {
            // (UNCHANGEDSINCE modseq), RFC 7162 §3.1.3
            if (modifiers.Items.Count != 2 || !(modifiers.Items[0] is ImapAtom name && name.Is("UNCHANGEDSINCE")))
                throw Bad("Unknown STORE modifier");
            unchangedSince = Number(modifiers.Items[1]);
            EnableCondStore();
            next = 2;
            if (command.Arguments.Count < 4)
                throw Bad("STORE needs an action and flags");
        }
        var action = Atom(command.Arguments[next]).ToUpperInvariant();
        var silent = action.EndsWith(".SILENT", StringComparison.Ordinal);
        var operation = action.Replace(".SILENT", "", StringComparison.Ordinal) switch
        {
            "FLAGS" => FlagOperation.Replace,
            "+FLAGS" => FlagOperation.Add,
            "-FLAGS" => FlagOperation.Remove,
            _ => throw Bad($"Unknown STORE action {Printable(action)}"),
        };
        var flagArguments = command.Arguments.Count == next + 2 && command.Arguments[next + 1] is ImapList list ? list.Items : command.Arguments.Skip(next + 1).ToList();
        var (flags, keywords) = ParseFlags(flagArguments);
        DemandFlagRights(view.Mailbox, operation, flags, keywords);

        // RFC 2180 §4.2.1: messages another session expunged are left out and the rest are changed; the
        // session reports their expunge at the next point it may, which tells the client all it needs
        var live = targets.Where(t => !t.Message.Expunged).ToList();
        var changedUids = new HashSet<long>();
        var failed = new HashSet<long>();
        var missing = new HashSet<long>();
        if (live.Count > 0)
        {
            var result = await Store.SetFlagsAsync(view.FolderId, live.Select(t => t.Message.Uid).ToList(),
                new FlagChange(operation, flags, keywords) { UnchangedSince = unchangedSince }, cancellationToken);
            view.TakeOwnFlagChanges(result.Changed);
            changedUids.UnionWith(result.Changed.Select(c => c.Uid));
            failed.UnionWith(result.FailedUids);
            missing.UnionWith(result.MissingUids);
        }
        foreach (var (seq, message) in live)
        {
            // .SILENT still reports changes the client did not make itself (RFC 7162: a new MODSEQ)
            if (failed.Contains(message.Uid) || missing.Contains(message.Uid) || (silent && !(condStore && changedUids.Contains(message.Uid))))
                continue;
            // RFC 7162 §3.2.4: once CONDSTORE is on, every FETCH a STORE causes carries the UID and MODSEQ
            WriteFlags(seq, message, includeUid: uids || condStore);
        }
        if (failed.Count > 0)
        {
            var numbers = uids ? failed : failed.Select(uid => (long)view.SequenceOf(uid));
            completionCode = $"MODIFIED {UidSet(numbers)}";
            return "conditional STORE failed for some messages";
        }
        return null;
    }

    /// <summary>RFC 4314 §4: \Seen needs "s", \Deleted "t", other flags and keywords "w"; replacing the flags may change any of them.</summary>
    static void DemandFlagRights(Mailbox mailbox, FlagOperation operation, MessageFlags flags, IReadOnlyCollection<string> keywords)
    {
        var replace = operation == FlagOperation.Replace;
        if ((replace || flags.HasFlag(MessageFlags.Seen)) && !mailbox.Allows(FolderAction.SetSeen))
            throw No("No permission to change \\Seen in this mailbox", "NOPERM");
        if ((replace || flags.HasFlag(MessageFlags.Deleted)) && !mailbox.Allows(FolderAction.SetDeleted))
            throw No("No permission to change \\Deleted in this mailbox", "NOPERM");
        if ((replace || (flags & ~(MessageFlags.Seen | MessageFlags.Deleted)) != 0 || keywords.Count > 0) && !mailbox.Allows(FolderAction.SetFlags))
            throw No("No permission to change flags in this mailbox", "NOPERM");
    }
}
