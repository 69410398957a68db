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
        var action = Atom(command.Arguments[1]).ToUpperInvariant();
        var silent = action.EndsWith(".SILENT", StringComparison.Ordinal);
        var operation = action.Replace(".SILENT", "", StringComparison.Ordinal) switch
        {
            "FLAGS" => FlagOperation.Replace,
            "+FLAGS" => FlagOperation.Add,
            "-FLAGS" => FlagOperation.Remove,
            _ => throw Bad($"Unknown STORE action {Printable(action)}"),
        };
        var flagArguments = command.Arguments.Count == 3 && command.Arguments[2] is ImapList list ? list.Items : command.Arguments.Skip(2).ToList();
        var (flags, keywords) = ParseFlags(flagArguments);

        var live = targets.Where(t => !t.Message.Expunged).ToList();
        if (live.Count > 0)
        {
            var result = await Store.SetFlagsAsync(view.FolderId, live.Select(t => t.Message.Uid).ToList(), new FlagChange(operation, flags, keywords), cancellationToken);
            foreach (var changed in result.Changed)
            {
                if (view.SequenceOf(changed.Uid) is var seq && seq > 0)
                    view[seq].Item = changed;
            }
        }
        if (!silent)
        {
            foreach (var (seq, message) in live)
                WriteFlags(seq, message, includeUid: uids);
        }
        if (live.Count < targets.Count)
            throw No("Some of the messages no longer exist", "EXPUNGEISSUED");
        return null;
    }
}
