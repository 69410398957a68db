using Rookery.Store;

namespace Rookery.Imap;

/// <summary>CONDSTORE and QRESYNC (RFC 7162): mod-sequences from the store's change log.</summary>
public sealed partial class ImapSession
{
    /// <summary>
    /// Turns CONDSTORE on, by ENABLE or by the first command that uses it (RFC 7162 §3.1); with a
    /// mailbox selected the client learns its HIGHESTMODSEQ at once.
    /// </summary>
    void EnableCondStore()
    {
        if (condStore)
            return;
        condStore = true;
        if (selected is not null)
            writer.Untagged($"OK [HIGHESTMODSEQ {selected.HighestModSeq}] Highest");
    }

    /// <summary>
    /// UIDs removed from a folder (expunged or moved away) after <paramref name="modSeq"/>, from the folder's
    /// tombstones in the change log. When the log no longer reaches back that far (<c>changelog_retention</c>),
    /// every UID below UIDNEXT that the open view does not hold: RFC 7162 §3.2.5.2 lets VANISHED (EARLIER) name
    /// UIDs that were never used, and the callers keep only those the client may know.
    /// </summary>
    async Task<List<long>> ExpungedSinceAsync(MailboxView view, long modSeq, CancellationToken cancellationToken)
    {
        var uids = new HashSet<long>();
        var since = modSeq;
        while (true)
        {
            var page = await Store.GetFolderChangesAsync(view.FolderId, since, cancellationToken: cancellationToken);
            if (page.Expired)
            {
                var missing = new List<long>();
                for (var uid = 1L; uid < view.UidNext; uid++)
                {
                    if (view.SequenceOf(uid) == 0)
                        missing.Add(uid);
                }
                return missing;
            }
            foreach (var change in page.Changes)
            {
                if (change.Removes(view.FolderId) && (change.Kind == ChangeKind.Moved ? change.PreviousUid : change.Uid) is { } uid)
                    uids.Add(uid);
            }
            if (!page.More)
                return [.. uids.Order()];
            since = page.Position;
        }
    }
}
