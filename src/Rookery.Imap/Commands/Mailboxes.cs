using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>NAMESPACE, LIST, LSUB, STATUS, CREATE, DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE.</summary>
public sealed partial class ImapSession
{
    /// <summary>
    /// The mailboxes this user sees: their own store, then "Other Users/&lt;login&gt;/…" for every
    /// store that grants them something, then "Public Folders/…" for their company's public store.
    /// </summary>
    /// <param name="only">
    /// The one mailbox the command names: when it is outside the shared namespaces only the user's own
    /// folders are read (SELECT and APPEND of a personal mailbox need no grants).
    /// </param>
    async Task<MailboxTree> TreeAsync(CancellationToken cancellationToken, string? only = null)
    {
        var sections = new List<TreeSection> { new("", await Store.ListFoldersAsync(store!.Id, cancellationToken)) };
        if (only is not null && !InSharedNamespace(only))
            return new MailboxTree(sections, Options.OnlyMailFolders);
        var others = new List<(string Login, SharedStore Shared)>();
        TreeSection? publicSection = null;
        foreach (var shared in await services.Access.SharedFoldersAsync(user!, cancellationToken))
        {
            if (shared.Store.Kind == StoreKind.Public)
                publicSection = new TreeSection(MailboxTree.PublicPrefix, shared.Folders, shared.Rights);
            else if (await services.Directory.FindByStoreOwnerAsync(shared.Store.Owner, cancellationToken) is { } owner && !owner.Login.Contains(MailboxTree.Delimiter, StringComparison.Ordinal))
                others.Add((owner.Login, shared));
        }
        foreach (var (login, shared) in others.OrderBy(o => o.Login, StringComparer.OrdinalIgnoreCase))
            sections.Add(new TreeSection(MailboxTree.OtherUsersPrefix + login + MailboxTree.Delimiter, shared.Folders, shared.Rights));
        if (publicSection is not null)
            sections.Add(publicSection);
        return new MailboxTree(sections, Options.OnlyMailFolders);
    }

    /// <summary>
    /// Refuses a command the user lacks the right for: NO [NOPERM] where they may see the mailbox,
    /// otherwise the answer for a mailbox that does not exist (<paramref name="absentCode"/>), so a
    /// folder reached by name only gives nothing away beyond the rights the user holds on it
    /// (RFC 4314 §6, as Dovecot does).
    /// </summary>
    static void Demand(Mailbox mailbox, FolderAction action, string what, string absentCode = "NONEXISTENT")
    {
        if (mailbox.Allows(action))
            return;
        throw mailbox.Listed ? No($"No permission to {what}", "NOPERM") : No("Mailbox does not exist", absentCode);
    }

    /// <summary>Whether <paramref name="name"/> is, or may be, in Other Users/ or Public Folders/ (case aside, to be safe).</summary>
    static bool InSharedNamespace(string name) =>
        name.StartsWith(MailboxTree.OtherUsersPrefix.TrimEnd(MailboxTree.Delimiter), StringComparison.OrdinalIgnoreCase)
        || name.StartsWith(MailboxTree.PublicPrefix.TrimEnd(MailboxTree.Delimiter), StringComparison.OrdinalIgnoreCase);

    async Task<Mailbox> ExistingAsync(string name, CancellationToken cancellationToken) =>
        (await TreeAsync(cancellationToken, name)).Find(name) ?? throw No($"Mailbox does not exist", "NONEXISTENT");

    Task<string?> NamespaceAsync(ImapCommandLine command)
    {
        ExpectArguments(command, 0);
        // personal, other users' (RFC 2342 §5: "Other Users/bob/…") and shared (the public store)
        writer.Untagged($"NAMESPACE ((\"\" \"{MailboxTree.Delimiter}\")) ((\"{MailboxTree.OtherUsersPrefix}\" \"{MailboxTree.Delimiter}\")) ((\"{MailboxTree.PublicPrefix}\" \"{MailboxTree.Delimiter}\"))");
        return Task.FromResult<string?>(null);
    }

    /// <summary>LIST, with LIST-EXTENDED (RFC 5258) selection and return options, LIST-STATUS (RFC 5819) and SPECIAL-USE (RFC 6154).</summary>
    async Task<string?> ListAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        var arguments = command.Arguments;
        var position = 0;
        var selection = new HashSet<string>(StringComparer.Ordinal);
        if (arguments.Count > 0 && arguments[0] is ImapList selectionList)
        {
            foreach (var option in selectionList.Items)
                selection.Add(Atom(option).ToUpperInvariant());
            if (selection.Any(o => o is not ("SUBSCRIBED" or "REMOTE" or "RECURSIVEMATCH" or "SPECIAL-USE")))
                throw Bad("Unknown LIST selection option");
            if (selection.Contains("RECURSIVEMATCH") && !selection.Contains("SUBSCRIBED") && !selection.Contains("SPECIAL-USE"))
                throw Bad("RECURSIVEMATCH needs another selection option");
            position = 1;
        }
        if (arguments.Count < position + 2)
            throw Bad("LIST needs a reference and a mailbox pattern");
        var reference = MailboxName(arguments[position]);
        var patterns = arguments[position + 1] is ImapList patternList
            ? patternList.Items.Select(p => MailboxName(p)).ToList()
            : [MailboxName(arguments[position + 1])];
        var returns = new HashSet<string>(StringComparer.Ordinal);
        List<string>? statusItems = null;
        if (arguments.Count > position + 2)
        {
            if (arguments.Count != position + 4 || !(arguments[position + 2] is ImapAtom ret && ret.Is("RETURN")))
                throw Bad("Expected RETURN (options)");
            var options = List(arguments[position + 3]);
            for (var i = 0; i < options.Count; i++)
            {
                var option = Atom(options[i]).ToUpperInvariant();
                if (option == "STATUS" && i + 1 < options.Count)
                    statusItems = List(options[++i]).Select(o => Atom(o).ToUpperInvariant()).ToList();
                else if (option is "SUBSCRIBED" or "CHILDREN" or "SPECIAL-USE")
                    returns.Add(option);
                else
                    throw Bad($"Unknown LIST return option {Printable(option)}");
            }
        }
        if (patterns is [""] && selection.Count == 0)
        {
            // the hierarchy delimiter and root of the reference (RFC 9051 §6.3.9)
            writer.Raw($"* LIST (\\Noselect) \"{MailboxTree.Delimiter}\" ").Raw("\"\"").EndLine();
            return null;
        }

        var tree = await TreeAsync(cancellationToken);
        var subscribed = selection.Contains("SUBSCRIBED") || returns.Contains("SUBSCRIBED")
            ? (await Store.ListSubscriptionsAsync(store!.Id, cancellationToken)).ToHashSet(StringComparer.Ordinal)
            : [];
        bool Matches(string name) => patterns.Any(p => p.Length > 0 && MailboxTree.Matches(reference + p, name));

        var names = new List<string>();
        if (selection.Contains("SUBSCRIBED"))
            names.AddRange(subscribed.Order(StringComparer.Ordinal));
        else
            names.AddRange(tree.Names);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var mailbox = tree.FindListed(name);
            var matches = Matches(name);
            if (selection.Contains("SPECIAL-USE") && mailbox?.SpecialUse is null)
                matches = false;
            if (!matches)
            {
                // RECURSIVEMATCH: a parent that matches is listed for its selected child, with CHILDINFO
                if (selection.Contains("RECURSIVEMATCH"))
                {
                    for (var parent = MailboxTree.Split(name).Parent; parent.Length > 0; parent = MailboxTree.Split(parent).Parent)
                    {
                        if (Matches(parent) && listed.Add(parent))
                        {
                            var parentBox = tree.FindListed(parent);
                            var attributes = ListAttributes(parentBox, tree.IsPlaceholder(parent), subscribed.Contains(parent), selection, returns);
                            writer.Raw("* LIST (").Raw(string.Join(' ', attributes)).Raw($") \"{MailboxTree.Delimiter}\" ").Mailbox(parent)
                                .Raw(" (\"CHILDINFO\" (\"SUBSCRIBED\"))").EndLine();
                        }
                    }
                }
                continue;
            }
            if (!listed.Add(name))
                continue;
            WriteListLine("LIST", ListAttributes(mailbox, tree.IsPlaceholder(name), subscribed.Contains(name), selection, returns), mailbox?.Name ?? name);
            if (statusItems is not null && mailbox is not null && mailbox.Allows(FolderAction.Read))
                await WriteStatusAsync(mailbox, statusItems, cancellationToken);
        }
        return null;
    }

    static List<string> ListAttributes(Mailbox? mailbox, bool placeholder, bool isSubscribed, HashSet<string> selection, HashSet<string> returns)
    {
        var attributes = new List<string>();
        if (placeholder)
            attributes.AddRange(["\\Noselect", "\\HasChildren"]);
        else if (mailbox is null)
            attributes.Add("\\NonExistent");
        else
        {
            attributes.Add(mailbox.HasChildren ? "\\HasChildren" : "\\HasNoChildren");
            if (mailbox.SpecialUse is { } use)
                attributes.Add(use);
        }
        if (isSubscribed && (selection.Contains("SUBSCRIBED") || returns.Contains("SUBSCRIBED")))
            attributes.Add("\\Subscribed");
        return attributes;
    }

    /// <param name="oldName">The name the client gave, sent as OLDNAME (RFC 9051 §6.3.2) when it differs from the mailbox's.</param>
    void WriteListLine(string kind, IEnumerable<string> attributes, string name, string? oldName = null)
    {
        writer.Raw("* ").Raw(kind).Raw(" (").Raw(string.Join(' ', attributes)).Raw($") \"{MailboxTree.Delimiter}\" ").Mailbox(name);
        if (oldName is not null)
            writer.Raw(" (\"OLDNAME\" (").Mailbox(oldName).Raw("))");
        writer.EndLine();
    }

    async Task<string?> LsubAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 2);
        var full = MailboxName(command.Arguments[0]) + MailboxName(command.Arguments[1]);
        var tree = await TreeAsync(cancellationToken);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in await Store.ListSubscriptionsAsync(store!.Id, cancellationToken))
        {
            if (MailboxTree.Matches(full, name))
            {
                if (listed.Add(name))
                    WriteListLine("LSUB", tree.Find(name) is null ? ["\\Noselect"] : [], name);
                continue;
            }
            // "%" stops at a level: a subscribed child makes its unsubscribed parent show as \Noselect
            for (var parent = MailboxTree.Split(name).Parent; parent.Length > 0; parent = MailboxTree.Split(parent).Parent)
            {
                if (MailboxTree.Matches(full, parent) && listed.Add(parent))
                    WriteListLine("LSUB", ["\\Noselect"], parent);
            }
        }
        return null;
    }

    async Task<string?> StatusAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 2);
        var name = MailboxName(command.Arguments[0]);
        var items = List(command.Arguments[1]).Select(i => Atom(i).ToUpperInvariant()).ToList();
        if (items.Count == 0)
            throw Bad("STATUS needs at least one item");
        var mailbox = await ExistingAsync(name, cancellationToken);
        Demand(mailbox, FolderAction.Read, "read this mailbox");
        await WriteStatusAsync(mailbox, items, cancellationToken);
        return null;
    }

    /// <param name="asked">Whether the client asked (STATUS, LIST-STATUS): HIGHESTMODSEQ then turns CONDSTORE on
    /// (RFC 7162 §3.1); a STATUS NOTIFY sends of itself does not.</param>
    async Task WriteStatusAsync(Mailbox mailbox, IReadOnlyList<string> items, CancellationToken cancellationToken, bool asked = true)
    {
        if (asked && items.Contains("HIGHESTMODSEQ"))
            EnableCondStore();
        var folder = await Store.GetFolderAsync(mailbox.Folder.Id, cancellationToken);
        var values = new List<string>();
        foreach (var item in items)
        {
            values.Add(item switch
            {
                "MESSAGES" => $"MESSAGES {folder.MessageCount}",
                "RECENT" when !imap4rev2 => $"RECENT {await Store.CountItemsAsync(folder.Id, new ItemQuery { UidFrom = folder.RecentUid }, cancellationToken)}",
                "UIDNEXT" => $"UIDNEXT {folder.UidNext}",
                "UIDVALIDITY" => $"UIDVALIDITY {folder.UidValidity}",
                "UNSEEN" => $"UNSEEN {await Store.CountItemsAsync(folder.Id, new ItemQuery { FlagsClear = MessageFlags.Seen }, cancellationToken)}",
                "DELETED" => $"DELETED {await Store.CountItemsAsync(folder.Id, new ItemQuery { FlagsSet = MessageFlags.Deleted }, cancellationToken)}",
                "SIZE" => $"SIZE {folder.Size}",
                "HIGHESTMODSEQ" => $"HIGHESTMODSEQ {folder.ModSeq}",
                _ => throw Bad($"Unknown STATUS item {Printable(item)}"),
            });
        }
        writer.Raw("* STATUS ").Mailbox(mailbox.Name).Raw(" (").Raw(string.Join(' ', values)).Raw(")").EndLine();
    }

    async Task<string?> CreateAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 1, 2);
        var name = MailboxName(command.Arguments[0], creating: true).TrimEnd(MailboxTree.Delimiter);
        if (name.Length == 0 || name.Split(MailboxTree.Delimiter).Any(level => level.Length == 0))
            throw No("Invalid mailbox name", "CANNOT");
        var tree = await TreeAsync(cancellationToken);
        if (tree.Find(name) is not null || tree.IsPlaceholder(name))
            throw No("Mailbox already exists", "ALREADYEXISTS");
        if (MailboxTree.IsSharedName(name))
        {
            var (parent, leaf) = await SharedParentAsync(tree, name, cancellationToken);
            await Store.CreateFolderAsync(parent.StoreId, parent.FolderId, leaf, ContainerClass.Mail, cancellationToken);
            return null;
        }
        await CreatePathAsync(tree, name, cancellationToken);
        return null;
    }

    /// <summary>
    /// Where a new mailbox in another store goes: under an existing folder the user may create
    /// folders in, or at the top of their company's public store for an administrator.
    /// </summary>
    async Task<((long StoreId, long? FolderId) Parent, string Leaf)> SharedParentAsync(MailboxTree tree, string name, CancellationToken cancellationToken)
    {
        var (parentName, leaf) = MailboxTree.Split(name);
        if (tree.Find(parentName) is { Shared: true } parent && (parent.Listed || parent.Allows(FolderAction.CreateSubfolder)))
        {
            Demand(parent, FolderAction.CreateSubfolder, "create mailboxes here");
            return ((parent.Folder.StoreId, parent.Folder.Id), leaf);
        }
        if (parentName.Equals(MailboxTree.PublicPrefix.TrimEnd(MailboxTree.Delimiter), StringComparison.OrdinalIgnoreCase) && user!.IsAdmin)
        {
            var publicStore = await Store.EnsureStoreAsync(StoreKind.Public, user.Company, store!.Locale, cancellationToken);
            return ((publicStore.Id, null), leaf);
        }
        if (tree.IsPlaceholder(parentName) || !MailboxTree.IsSharedName(parentName))
            throw No("No permission to create mailboxes here", "NOPERM");
        throw No("The parent mailbox does not exist", "NONEXISTENT");
    }

    /// <summary>Creates a mailbox and any missing parents; returns the new folder.</summary>
    async Task<FolderInfo> CreatePathAsync(MailboxTree tree, string name, CancellationToken cancellationToken)
    {
        var (parentName, leaf) = MailboxTree.Split(name);
        long? parentId = null;
        if (parentName.Length > 0)
            parentId = (tree.Find(parentName)?.Folder ?? await CreatePathAsync(tree, parentName, cancellationToken)).Id;
        else if (leaf.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
            throw No("INBOX already exists", "ALREADYEXISTS");
        return await Store.CreateFolderAsync(store!.Id, parentId, leaf, ContainerClass.Mail, cancellationToken);
    }

    async Task<string?> DeleteAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 1);
        var mailbox = await ExistingAsync(MailboxName(command.Arguments[0]), cancellationToken);
        Demand(mailbox, FolderAction.DeleteFolder, "delete this mailbox");
        if (mailbox.IsInbox)
            throw No("INBOX cannot be deleted", "CANNOT");
        if (mailbox.Folder.SpecialUse != SpecialUse.None)
            throw No("Default folders cannot be deleted", "CANNOT");
        // the store deletes a folder with everything below it, folders this user cannot see included
        if (mailbox.HasChildren || (await Store.ListFoldersAsync(mailbox.Folder.StoreId, cancellationToken)).Any(f => f.ParentId == mailbox.Folder.Id))
            throw No("Delete the mailboxes below it first", "CANNOT");
        await Store.DeleteFolderAsync(mailbox.Folder.Id, cancellationToken);
        if (selected?.FolderId == mailbox.Folder.Id)
        {
            selected = null;
            State = SessionState.Authenticated;
        }
        return null;
    }

    async Task<string?> RenameAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 2);
        var tree = await TreeAsync(cancellationToken);
        var source = tree.Find(MailboxName(command.Arguments[0])) ?? throw No("Mailbox does not exist", "NONEXISTENT");
        var target = MailboxName(command.Arguments[1], creating: true).TrimEnd(MailboxTree.Delimiter);
        if (target.Length == 0 || target.Split(MailboxTree.Delimiter).Any(level => level.Length == 0))
            throw No("Invalid mailbox name", "CANNOT");
        if (tree.Find(target) is { } existing && existing.Folder.Id != source.Folder.Id)
            throw No("Target mailbox already exists", "ALREADYEXISTS");
        if (target.StartsWith(source.Name + MailboxTree.Delimiter, StringComparison.Ordinal))
            throw No("A mailbox cannot be moved into itself", "CANNOT");
        if (source.Shared != MailboxTree.IsSharedName(target))
            throw No("Mailboxes cannot be moved to another store", "CANNOT");
        if (source.Shared)
        {
            Demand(source, FolderAction.DeleteFolder, "rename this mailbox");
            var (parent, newLeaf) = await SharedParentAsync(tree, target, cancellationToken);
            if (parent.StoreId != source.Folder.StoreId)
                throw No("Mailboxes cannot be moved to another store", "CANNOT");
            await Store.MoveFolderAsync(source.Folder.Id, parent.FolderId, newLeaf, cancellationToken);
            return null;
        }
        var (parentName, leaf) = MailboxTree.Split(target);
        long? parentId = parentName.Length == 0 ? null : (tree.Find(parentName)?.Folder ?? await CreatePathAsync(tree, parentName, cancellationToken)).Id;
        if (source.IsInbox)
        {
            // RFC 9051 §6.3.6: renaming INBOX moves its messages to a new mailbox and leaves INBOX empty
            var created = await Store.CreateFolderAsync(store!.Id, parentId, leaf, ContainerClass.Mail, cancellationToken);
            var uids = (await Store.ListItemsAsync(source.Folder.Id, cancellationToken: cancellationToken)).Select(i => i.Uid).ToList();
            if (uids.Count > 0)
                await Store.MoveItemsAsync(source.Folder.Id, uids, created.Id, cancellationToken);
            return null;
        }
        await Store.MoveFolderAsync(source.Folder.Id, parentId, leaf, cancellationToken);
        return null;
    }

    async Task<string?> SubscribeAsync(ImapCommandLine command, bool subscribe, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 1);
        var name = MailboxName(command.Arguments[0], creating: subscribe).TrimEnd(MailboxTree.Delimiter);
        if (name.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
            name = "INBOX";
        if (subscribe && (await TreeAsync(cancellationToken, name)).Find(name) is { } mailbox)
            name = mailbox.Name;
        await Store.SetSubscriptionAsync(store!.Id, name, subscribe, cancellationToken);
        return null;
    }
}
