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

    /// <summary>UIDs removed from a folder (expunged or moved away) after <paramref name="modSeq"/>, from the change log's tombstones.</summary>
    async Task<List<long>> ExpungedSinceAsync(long folderId, long modSeq, CancellationToken cancellationToken)
    {
        var uids = new HashSet<long>();
        var since = modSeq;
        var limit = 10_000;
        while (true)
        {
            var page = await Store.GetChangesAsync(store!.Id, since, limit, cancellationToken: cancellationToken);
            foreach (var change in page)
            {
                if (change.Entity != ChangeEntity.Item)
                    continue;
                if (change.Kind == ChangeKind.Deleted && change.FolderId == folderId && change.Uid is { } uid)
                    uids.Add(uid);
                else if (change.Kind == ChangeKind.Moved && change.PreviousFolderId == folderId && change.FolderId != folderId && change.PreviousUid is { } old)
                    uids.Add(old);
            }
            if (page.Count < limit)
                return [.. uids.Order()];
            // One transaction's rows share a modseq: restart at the last one, whole, so none is skipped.
            if (page[0].ModSeq == page[^1].ModSeq)
                limit *= 4;
            else
                since = page[^1].ModSeq - 1;
        }
    }
}
