using Microsoft.Extensions.Logging;
using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>
/// NOTIFY (RFC 5465): the client names the mailboxes and events it wants to hear of, and hears of them as
/// they happen, between commands as well as at their end and in IDLE. Events of the user's own mailboxes
/// other than the selected one come from the store's change log: new and expunged messages as STATUS
/// (MESSAGES, UIDNEXT; HIGHESTMODSEQ once CONDSTORE is on), flag changes as STATUS (UIDVALIDITY,
/// HIGHESTMODSEQ) once CONDSTORE is on, mailboxes created, deleted and renamed as LIST (\NonExistent, OLDNAME).
/// The selected mailbox: SELECTED pushes its changes between commands, expunges included; SELECTED-DELAYED
/// holds expunges back for a command that allows them; MessageNew's fetch attributes add a FETCH of each new
/// message after its EXISTS.
/// </summary>
public sealed partial class ImapSession
{
    [Flags]
    enum NotifyEvents
    {
        None = 0,
        MessageNew = 1,
        MessageExpunge = 2,
        FlagChange = 4,
        MailboxName = 8,
    }

    /// <summary>Which mailboxes a group names: the selected one, or a filter over the others.</summary>
    enum NotifyFilter { Selected, SelectedDelayed, Inboxes, Personal, Subscribed, Subtree, Mailboxes }

    sealed record NotifyGroup(NotifyFilter Filter, IReadOnlyList<string> Names, NotifyEvents Events);

    /// <summary>What NOTIFY SET asked for; MessageNew's fetch attributes for the selected mailbox, when given.</summary>
    sealed record NotifySpec(IReadOnlyList<NotifyGroup> Groups, List<FetchItem>? NewMessageItems)
    {
        public NotifyGroup? SelectedGroup => Groups.FirstOrDefault(g => g.Filter is NotifyFilter.Selected or NotifyFilter.SelectedDelayed);
        public NotifyEvents SelectedEvents => SelectedGroup?.Events ?? NotifyEvents.None;
        /// <summary>Whether the selected mailbox's changes go out between commands, and its expunges with them.</summary>
        public bool PushesSelected => SelectedEvents != NotifyEvents.None;
        public bool PushesExpunges => SelectedGroup is { Filter: NotifyFilter.Selected, Events: not NotifyEvents.None };
        public IEnumerable<NotifyGroup> Others => Groups.Where(g => g.Filter is not (NotifyFilter.Selected or NotifyFilter.SelectedDelayed));
    }

    const string SupportedEvents = "(MessageNew MessageExpunge FlagChange MailboxName)";

    /// <summary>How many change-log rows one delivery reads; more at once is an overflow (RFC 5465 §5.8).</summary>
    const int NotifyChangeLimit = 10_000;

    NotifySpec? notify;
    /// <summary>The own store's change log position notifications were delivered up to.</summary>
    long notifyModSeq;
    /// <summary>The own store's mailbox names by folder as last told, for the LIST of a rename or delete.</summary>
    Dictionary<long, string> notifyNames = [];
    /// <summary>The own store's changes, followed while NOTIFY is on whatever mailbox is selected.</summary>
    ChangeSubscription? notifyChanges;

    async Task<string?> NotifyAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 1, int.MaxValue);
        var arguments = command.Arguments;
        var verb = Atom(arguments[0]).ToUpperInvariant();
        if (verb == "NONE")
        {
            ExpectArguments(command, 1);
            StopNotify();
            return null;
        }
        if (verb != "SET")
            throw Bad("NOTIFY needs SET or NONE");
        var position = 1;
        var status = position < arguments.Count && arguments[position] is ImapAtom s && s.Is("STATUS");
        if (status)
            position++;
        if (position >= arguments.Count)
            throw Bad("NOTIFY SET needs event groups");
        var groups = new List<NotifyGroup>();
        List<FetchItem>? newMessageItems = null;
        var unsupported = false;
        for (; position < arguments.Count; position++)
        {
            var group = List(arguments[position]);
            if (group.Count < 2)
                throw Bad("An event group needs mailboxes and events");
            var filter = Atom(group[0]).ToUpperInvariant() switch
            {
                "SELECTED" => NotifyFilter.Selected,
                "SELECTED-DELAYED" => NotifyFilter.SelectedDelayed,
                "INBOXES" => NotifyFilter.Inboxes,
                "PERSONAL" => NotifyFilter.Personal,
                "SUBSCRIBED" => NotifyFilter.Subscribed,
                "SUBTREE" => NotifyFilter.Subtree,
                "MAILBOXES" => NotifyFilter.Mailboxes,
                _ => throw Bad("Unknown mailbox filter"),
            };
            var next = 1;
            IReadOnlyList<string> names = [];
            if (filter is NotifyFilter.Subtree or NotifyFilter.Mailboxes)
            {
                if (group.Count < 3)
                    throw Bad("SUBTREE and MAILBOXES need mailbox names");
                names = group[1] is ImapList many ? [.. many.Items.Select(i => MailboxName(i))] : [MailboxName(group[1])];
                if (names.Count == 0)
                    throw Bad("SUBTREE and MAILBOXES need mailbox names");
                next = 2;
            }
            if (next != group.Count - 1)
                throw Bad("An event group is a filter and one list of events");
            var selectedGroup = filter is NotifyFilter.Selected or NotifyFilter.SelectedDelayed;
            if (selectedGroup && groups.Any(g => g.Filter is NotifyFilter.Selected or NotifyFilter.SelectedDelayed))
                throw Bad("Only one of SELECTED and SELECTED-DELAYED may be given");
            var events = NotifyEvents.None;
            if (group[next] is ImapAtom none && none.Is("NONE"))
            {
                groups.Add(new NotifyGroup(filter, names, events));
                continue;
            }
            var list = List(group[next]);
            for (var i = 0; i < list.Count; i++)
            {
                var name = Atom(list[i]).ToUpperInvariant();
                switch (name)
                {
                    case "MESSAGENEW":
                        events |= NotifyEvents.MessageNew;
                        if (i + 1 < list.Count && list[i + 1] is ImapList attributes)
                        {
                            // RFC 5465 §5.2: fetch attributes for new messages make sense only in the selected mailbox
                            if (!selectedGroup)
                                throw Bad("MessageNew takes fetch attributes only for the selected mailbox");
                            newMessageItems = ParseFetchItems(attributes).Select(a => a with { Peek = true }).ToList();
                            i++;
                        }
                        break;
                    case "MESSAGEEXPUNGE": events |= NotifyEvents.MessageExpunge; break;
                    case "FLAGCHANGE": events |= NotifyEvents.FlagChange; break;
                    case "MAILBOXNAME":
                        if (selectedGroup)
                            throw Bad("MailboxName is no event of the selected mailbox");
                        events |= NotifyEvents.MailboxName;
                        break;
                    default:
                        // AnnotationChange, SubscriptionChange, the METADATA events and any other: not offered
                        unsupported = true;
                        break;
                }
            }
            // RFC 5465 §5: MessageNew and MessageExpunge go together, FlagChange needs both
            var newAndExpunge = events & (NotifyEvents.MessageNew | NotifyEvents.MessageExpunge);
            if (newAndExpunge is NotifyEvents.MessageNew or NotifyEvents.MessageExpunge)
                throw Bad("MessageNew and MessageExpunge must be given together");
            if (events.HasFlag(NotifyEvents.FlagChange) && newAndExpunge == NotifyEvents.None)
                throw Bad("FlagChange needs MessageNew and MessageExpunge");
            groups.Add(new NotifyGroup(filter, names, events));
        }
        if (unsupported)
            throw No("Some of those events are not offered", $"BADEVENT {SupportedEvents}");

        var tree = await TreeAsync(cancellationToken);
        StopNotify();
        notify = new NotifySpec(groups, newMessageItems);
        notifyModSeq = (await Store.GetStoreAsync(store!.Id, cancellationToken)).ModSeq;
        notifyNames = OwnNames(tree);
        notifyChanges = Store.Notifier.Subscribe(store.Id);
        if (status)
        {
            // RFC 5465 §3.1: where the client stands now, for every mailbox it will hear of (as Dovecot answers it)
            var flagChanges = groups.Any(g => g.Events.HasFlag(NotifyEvents.FlagChange));
            var subscribed = await SubscribedIfNeededAsync(cancellationToken);
            foreach (var mailbox in tree.All.Where(m => m.Listed && m.Folder.Id != selected?.FolderId && m.Allows(FolderAction.Read)))
            {
                if (EventsFor(mailbox.Name, mailbox.Shared, subscribed) is var events && (events & (NotifyEvents.MessageNew | NotifyEvents.FlagChange)) != 0)
                    await WriteStatusAsync(mailbox, flagChanges ? ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ"] : ["MESSAGES", "UIDNEXT", "UIDVALIDITY"], cancellationToken, asked: false);
            }
        }
        return null;
    }

    void StopNotify()
    {
        notify = null;
        notifyChanges?.Dispose();
        notifyChanges = null;
    }

    /// <summary>The subscribed names, when a SUBSCRIBED group needs them (read again each time: RFC 5465 §6.4).</summary>
    async Task<HashSet<string>?> SubscribedIfNeededAsync(CancellationToken cancellationToken) =>
        notify!.Others.Any(g => g.Filter == NotifyFilter.Subscribed)
            ? (await Store.ListSubscriptionsAsync(store!.Id, cancellationToken)).ToHashSet(StringComparer.Ordinal)
            : null;

    static Dictionary<long, string> OwnNames(MailboxTree tree) =>
        tree.All.Where(m => !m.Shared).ToDictionary(m => m.Folder.Id, m => m.Name);

    /// <summary>The events the groups ask for of one mailbox (not the selected one); a deleted one is no longer in the tree.</summary>
    NotifyEvents EventsFor(string name, bool shared, HashSet<string>? subscribed)
    {
        var events = NotifyEvents.None;
        foreach (var group in notify!.Others)
        {
            var matches = group.Filter switch
            {
                // Rookery delivers to INBOX only, but rules may file mail anywhere: INBOXES is PERSONAL, as RFC 5465 §6.3 allows
                NotifyFilter.Inboxes or NotifyFilter.Personal => !shared,
                NotifyFilter.Subscribed => subscribed?.Contains(name) == true,
                NotifyFilter.Subtree => group.Names.Any(n => name == n || name.StartsWith(n + MailboxTree.Delimiter, StringComparison.Ordinal)),
                _ => group.Names.Contains(name),
            };
            if (matches)
                events |= group.Events;
        }
        return events;
    }

    /// <summary>
    /// <see cref="DeliverNotificationsAsync"/>, whose failure (a mailbox deleted while its STATUS is read, the
    /// database away) is logged and fails nothing: the command it follows has done its work already.
    /// </summary>
    async Task DeliverNotificationsSafelyAsync(bool betweenCommands, CancellationToken cancellationToken)
    {
        try
        {
            await DeliverNotificationsAsync(betweenCommands, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException)
        {
            log.LogWarning(e, "IMAP NOTIFY delivery for {User} failed", user?.Login);
        }
    }

    /// <summary>
    /// What happened in the user's own mailboxes since the last delivery, as NOTIFY asked to hear of it;
    /// then the selected mailbox's changes when they go out between commands (<paramref name="betweenCommands"/>).
    /// </summary>
    async Task DeliverNotificationsAsync(bool betweenCommands, CancellationToken cancellationToken)
    {
        if (notify is null)
            return;
        if (betweenCommands && notify.PushesSelected && selected is not null)
            await SendUpdatesAsync(allowExpunge: notify.PushesExpunges, cancellationToken);
        if (notifyChanges is not null)
            while (notifyChanges.Reader.TryRead(out _)) { }
        var changes = await Store.GetChangesAsync(store!.Id, notifyModSeq, NotifyChangeLimit, cancellationToken: cancellationToken);
        if (changes.Count == 0)
            return;
        if (changes.Count >= NotifyChangeLimit)
        {
            // RFC 5465 §5.8: too much at once; the client starts again from what it can list
            writer.Untagged("OK [NOTIFICATIONOVERFLOW] Too many changes; NOTIFY is off");
            StopNotify();
            return;
        }
        notifyModSeq = changes[^1].ModSeq;
        var tree = await TreeAsync(cancellationToken);
        var subscribed = await SubscribedIfNeededAsync(cancellationToken);
        var names = OwnNames(tree);
        var messageEvents = new Dictionary<long, NotifyEvents>();
        var renamed = new List<(string Old, string New)>();
        var created = new List<string>();
        var deleted = new List<string>();
        foreach (var change in changes)
        {
            if (change.Entity == ChangeEntity.Folder)
            {
                notifyNames.TryGetValue(change.ObjectId, out var before);
                names.TryGetValue(change.ObjectId, out var now);
                if (change.Kind == ChangeKind.Deleted && before is not null)
                    deleted.Add(before);
                else if (change.Kind == ChangeKind.Created && now is not null && before is null)
                    created.Add(now);
                else if (before is not null && now is not null && before != now)
                    renamed.Add((before, now));
                continue;
            }
            var kind = change.Kind switch
            {
                ChangeKind.Created => NotifyEvents.MessageNew,
                ChangeKind.Deleted => NotifyEvents.MessageExpunge,
                ChangeKind.Moved => NotifyEvents.MessageNew,
                _ => NotifyEvents.FlagChange,
            };
            messageEvents[change.FolderId] = messageEvents.GetValueOrDefault(change.FolderId) | kind;
            if (change.Kind == ChangeKind.Moved && change.PreviousFolderId is { } from)
                messageEvents[from] = messageEvents.GetValueOrDefault(from) | NotifyEvents.MessageExpunge;
        }
        foreach (var (folderId, happened) in messageEvents)
        {
            if (folderId == selected?.FolderId || tree.OfFolder(folderId) is not { Shared: false, Listed: true } mailbox || !mailbox.Allows(FolderAction.Read))
                continue;
            var wanted = EventsFor(mailbox.Name, mailbox.Shared, subscribed) & happened;
            var items = new List<string>();
            if ((wanted & (NotifyEvents.MessageNew | NotifyEvents.MessageExpunge)) != 0)
                items.AddRange(["MESSAGES", "UIDNEXT"]);
            if (condStore && wanted != NotifyEvents.None)
            {
                if (wanted.HasFlag(NotifyEvents.FlagChange))
                    items.Add("UIDVALIDITY");
                items.Add("HIGHESTMODSEQ");
            }
            if (items.Count > 0)
                await WriteStatusAsync(mailbox, items, cancellationToken, asked: false);
        }
        bool Wants(string name) =>
            (tree.Find(name) is { } m ? EventsFor(m.Name, m.Shared, subscribed) : EventsFor(name, shared: false, subscribed: null)).HasFlag(NotifyEvents.MailboxName);
        foreach (var name in created.Where(Wants))
            WriteListLine("LIST", tree.Find(name) is { HasChildren: true } ? ["\\HasChildren"] : ["\\HasNoChildren"], name, null);
        foreach (var name in deleted.Where(Wants))
            WriteListLine("LIST", ["\\NonExistent"], name, null);
        foreach (var (old, now) in renamed.Where(r => Wants(r.Old) || Wants(r.New)))
            WriteListLine("LIST", tree.Find(now) is { HasChildren: true } ? ["\\HasChildren"] : ["\\HasNoChildren"], now, old);
        notifyNames = names;
    }

    /// <summary>
    /// Cancels the pending read of <paramref name="input"/> once the user's store (or, when its changes go out
    /// between commands, the selected mailbox's) has changed; cancel the source returned to stop waiting.
    /// </summary>
    CancellationTokenSource WakeOnChanges(System.IO.Pipelines.PipeReader input, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _ = WaitAsync(WaitForChangesAsync(stop.Token));
        return stop;

        async Task WaitAsync(Task<bool> changed)
        {
            try
            {
                if (await changed && !stop.IsCancellationRequested)
                    input.CancelPendingRead();
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// Completes when the selected store has changes to read, or, after NOTIFY, the user's own store: what IDLE
    /// and the wait between commands wake for.
    /// </summary>
    async Task<bool> WaitForChangesAsync(CancellationToken cancellationToken)
    {
        var waits = new List<Task<bool>>(2);
        if (changes is not null && (notify is null || (notify.PushesSelected && selected is not null)))
            waits.Add(changes.Reader.WaitToReadAsync(cancellationToken).AsTask());
        if (notifyChanges is not null)
            waits.Add(notifyChanges.Reader.WaitToReadAsync(cancellationToken).AsTask());
        if (waits.Count == 0)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return false;
        }
        return await await Task.WhenAny(waits);
    }

    /// <summary>After an EXISTS: the FETCH MessageNew asked for, of the messages from <paramref name="firstNew"/> on.</summary>
    async Task FetchNewMessagesAsync(int firstNew, CancellationToken cancellationToken)
    {
        if (notify?.NewMessageItems is not { } items || selected is not { } view || firstNew > view.Count)
            return;
        var targets = new List<(int Seq, ViewMessage Message)>();
        for (var seq = firstNew; seq <= view.Count; seq++)
        {
            if (!view[seq].Expunged)
                targets.Add((seq, view[seq]));
        }
        if (targets.Count == 0)
            return;
        try
        {
            await WriteFetchesAsync(targets, items, [], cancellationToken);
        }
        catch (CommandException e)
        {
            // BINARY of an encoding that cannot be undone: the FETCH is left out, the command that found the
            // message has done its work (NO here would tell the client otherwise)
            log.LogInformation("IMAP NOTIFY: no FETCH of new messages for {User}: {Reason}", user?.Login, e.Message);
        }
    }
}
