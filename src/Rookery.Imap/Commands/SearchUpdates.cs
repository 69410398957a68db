using Rookery.Imap.Protocol;

namespace Rookery.Imap;

/// <summary>
/// Searches kept up to date (CONTEXT=SEARCH, RFC 5267 §4): after SEARCH RETURN (UPDATE …) the session tells
/// the client, wherever it may send untagged responses, which messages joined the result
/// (<c>* ESEARCH (TAG "t") ADDTO (0 set)</c>) and which left it (<c>REMOVEFROM</c>), until CANCELUPDATE or
/// another mailbox is selected. Positions are 0, as RFC 5267 allows for SEARCH, whose results are in mailbox
/// order anyway (Dovecot sends the same). Removals of expunged messages come before the EXPUNGEs, while their
/// sequence numbers still hold.
/// </summary>
public sealed partial class ImapSession
{
    /// <summary>One search kept up to date: its key, and the UIDs the client was last told it matches.</summary>
    sealed record SearchUpdate(string Tag, bool Uids, SearchKey Key, MailboxView View, HashSet<long> Result);

    /// <summary>How many searches one session may have kept up to date; more get NOUPDATE.</summary>
    const int MaxSearchUpdates = 16;

    readonly List<SearchUpdate> searchUpdates = [];

    void KeepUpdated(string tag, bool uids, SearchKey key, IReadOnlyList<(int Seq, long Uid)> matches)
    {
        searchUpdates.RemoveAll(u => u.View != selected || u.Tag == tag);
        // message numbers and the saved result change meaning without any message changing: such a search is
        // answered once and not kept (RFC 5267 §4.2 lets the server refuse with NOUPDATE)
        if (UsesNumbersOrSavedResult(key))
        {
            writer.Raw("* NO [NOUPDATE ").Quoted(tag).Raw("] A search by message numbers or $ is not kept up to date").EndLine();
            return;
        }
        if (searchUpdates.Count >= MaxSearchUpdates)
        {
            writer.Raw("* NO [NOUPDATE ").Quoted(tag).Raw("] Too many searches are kept up to date already").EndLine();
            return;
        }
        selected!.TrackTouched();
        searchUpdates.Add(new SearchUpdate(tag, uids, key, selected, [.. matches.Select(m => m.Uid)]));
    }

    static bool UsesNumbersOrSavedResult(SearchKey key) => key switch
    {
        SetKey s => !s.Uids || s.Set.IsSavedResult,
        NotKey n => UsesNumbersOrSavedResult(n.Key),
        OrKey o => UsesNumbersOrSavedResult(o.Left) || UsesNumbersOrSavedResult(o.Right),
        AndKey a => a.Keys.Any(UsesNumbersOrSavedResult),
        _ => false,
    };

    /// <summary>CANCELUPDATE "tag" ...: those searches are no longer kept up to date.</summary>
    Task<string?> CancelUpdateAsync(ImapCommandLine command)
    {
        ExpectArguments(command, 1, int.MaxValue);
        var tags = command.Arguments.Select(AString).ToList();
        if (tags.Any(t => !searchUpdates.Any(u => u.Tag == t && u.View == selected)))
            throw Bad("No search with that tag is kept up to date");
        searchUpdates.RemoveAll(u => tags.Contains(u.Tag));
        return Task.FromResult<string?>("completed");
    }

    /// <summary>REMOVEFROM for the messages about to be reported expunged, numbered as they still are.</summary>
    void WriteSearchRemovals(IReadOnlyList<(int Seq, long Uid)> expunged)
    {
        foreach (var update in LiveSearchUpdates())
        {
            var removed = expunged.Where(e => update.Result.Remove(e.Uid)).Select(e => update.Uids ? e.Uid : e.Seq).Order().ToList();
            if (removed.Count > 0)
                WriteSearchUpdate(update, removed, []);
        }
    }

    /// <summary>ADDTO and REMOVEFROM for the messages that arrived or changed since the last time.</summary>
    async Task SendSearchUpdatesAsync(CancellationToken cancellationToken)
    {
        var view = selected;
        if (view is null)
            return;
        // taken even when no search is kept up to date any more (after CANCELUPDATE), so the set stays small
        var touched = view.TakeTouched();
        if (touched.Count == 0 || LiveSearchUpdates().Count == 0)
            return;
        var candidates = touched.Select(uid => (Seq: view.SequenceOf(uid), Uid: uid))
            .Where(c => c.Seq > 0 && !view[c.Seq].Expunged)
            .OrderBy(c => c.Seq)
            .Select(c => (c.Seq, view[c.Seq]))
            .ToList();
        if (candidates.Count == 0)
            return;
        foreach (var update in LiveSearchUpdates())
        {
            var matching = (await MatchAsync(update.Key, candidates, cancellationToken)).Select(m => m.Uid).ToHashSet();
            List<long> added = [], removed = [];
            foreach (var (seq, message) in candidates)
            {
                var number = update.Uids ? message.Uid : seq;
                if (matching.Contains(message.Uid))
                {
                    if (update.Result.Add(message.Uid))
                        added.Add(number);
                }
                else if (update.Result.Remove(message.Uid))
                    removed.Add(number);
            }
            if (added.Count > 0 || removed.Count > 0)
                WriteSearchUpdate(update, removed, added);
        }
    }

    /// <summary>The searches kept up to date for the mailbox selected now; those of an earlier selection are dropped.</summary>
    List<SearchUpdate> LiveSearchUpdates()
    {
        searchUpdates.RemoveAll(u => u.View != selected);
        return searchUpdates;
    }

    void WriteSearchUpdate(SearchUpdate update, List<long> removed, List<long> added)
    {
        writer.Raw("* ESEARCH (TAG ").Quoted(update.Tag).Raw(")");
        if (update.Uids)
            writer.Raw(" UID");
        if (removed.Count > 0)
            writer.Raw(" REMOVEFROM (0 ").Raw(UidSet(removed)).Raw(")");
        if (added.Count > 0)
            writer.Raw(" ADDTO (0 ").Raw(UidSet(added)).Raw(")");
        writer.EndLine();
    }
}
