using Rookery.Store;

namespace Rookery.Imap;

/// <summary>One folder as IMAP shows it: its full name with '/' between levels, its attributes, and what the user may do with it.</summary>
public sealed record Mailbox(string Name, FolderInfo Folder, bool HasChildren)
{
    /// <summary>The RFC 6154 special-use attribute of a default folder, or null.</summary>
    public string? SpecialUse => Folder.SpecialUse switch
    {
        Store.SpecialUse.SentItems => "\\Sent",
        Store.SpecialUse.Drafts => "\\Drafts",
        Store.SpecialUse.DeletedItems => "\\Trash",
        Store.SpecialUse.Junk => "\\Junk",
        _ => null,
    };

    public bool IsInbox => Name == "INBOX";

    /// <summary>The session user's rights on the folder; everything in their own store.</summary>
    public FolderRights Rights { get; init; } = FolderRights.All;

    /// <summary>In a store other than the user's own (Other Users/…, Public Folders/…).</summary>
    public bool Shared { get; init; }

    /// <summary>
    /// Whether LIST shows it: false for a folder the user may not look up ("l") but holds another
    /// right on, which they reach by name only (RFC 4314 §4: SELECT needs "r", not "l").
    /// </summary>
    public bool Listed { get; init; } = true;

    public bool Allows(FolderAction action) => FolderAccess.Allows(Rights, action);
}

/// <summary>
/// The folders of one store under a name prefix: the user's own ("" prefix, every folder), or
/// another user's or the public store with the user's rights per folder.
/// </summary>
public sealed record TreeSection(string Prefix, IReadOnlyList<FolderInfo> Folders, IReadOnlyDictionary<long, FolderRights>? Rights = null);

/// <summary>
/// The folders of a store as IMAP mailboxes: the Inbox is "INBOX" whatever the store's language
/// calls it, levels are separated by '/', and with imap_only_mailfolders the calendar, contacts,
/// tasks, notes and journal folders (and what lies under them) are left out, as the original did.
/// Other stores appear under their namespace prefix with only the folders the user may see
/// (folder-visible); a folder the user may not see that holds one they may is listed as
/// \Noselect, and so are the namespace levels themselves. A folder the user may not see but holds
/// another right on (read, insert, create folders, administer) is not listed and is found by name.
/// </summary>
public sealed class MailboxTree
{
    public const char Delimiter = '/';
    public const string OtherUsersPrefix = "Other Users/";
    public const string PublicPrefix = "Public Folders/";

    readonly List<Mailbox> mailboxes = [];
    /// <summary>Mailboxes found by name only (<see cref="Mailbox.Listed"/> false).</summary>
    readonly List<Mailbox> reachable = [];
    readonly Dictionary<string, Mailbox> byName = new(StringComparer.Ordinal);
    readonly Dictionary<long, Mailbox> byFolder = [];
    readonly List<string> names = [];
    readonly HashSet<string> placeholders = new(StringComparer.Ordinal);

    public MailboxTree(IReadOnlyList<FolderInfo> folders, bool onlyMailFolders)
        : this([new TreeSection("", folders)], onlyMailFolders)
    {
    }

    public MailboxTree(IEnumerable<TreeSection> sections, bool onlyMailFolders)
    {
        foreach (var section in sections)
            Add(section, onlyMailFolders);
    }

    /// <summary>RFC 4314's "any" rights but "l": with one of them a folder the user may not see still answers to its name.</summary>
    const FolderRights ReachableRights = FolderRights.ReadItems | FolderRights.CreateItems | FolderRights.CreateSubfolders | FolderRights.FolderOwner;

    void Add(TreeSection section, bool onlyMailFolders)
    {
        var children = section.Folders.ToLookup(f => f.ParentId ?? 0);
        var shared = section.Rights is not null;
        FolderRights RightsOf(FolderInfo f) => section.Rights?.GetValueOrDefault(f.Id) ?? FolderRights.All;
        bool Visible(FolderInfo f) => FolderAccess.Allows(RightsOf(f), FolderAction.Lookup);
        bool Included(FolderInfo f) => (!onlyMailFolders || f.ContainerClass == ContainerClass.Mail) && !f.Name.Contains(Delimiter, StringComparison.Ordinal);
        var listedBelow = new Dictionary<long, bool>();
        bool AnyListed(FolderInfo f)
        {
            if (!listedBelow.TryGetValue(f.Id, out var any))
                listedBelow[f.Id] = any = Included(f) && (Visible(f) || children[f.Id].Any(AnyListed));
            return any;
        }
        var entries = new List<(string Name, Mailbox? Mailbox)>();
        var unlisted = new List<Mailbox>();
        void Walk(long parentId, string prefix)
        {
            foreach (var folder in children[parentId].OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                if (!Included(folder))
                    continue; // not a mail folder or not addressable with '/': nor is anything below it
                var name = parentId == 0 && folder.SpecialUse == Store.SpecialUse.Inbox ? prefix + "INBOX" : prefix + folder.Name;
                var mailbox = Visible(folder) || (RightsOf(folder) & ReachableRights) != 0
                    ? new Mailbox(name, folder, children[folder.Id].Any(AnyListed)) { Rights = RightsOf(folder), Shared = shared, Listed = Visible(folder) }
                    : null;
                if (AnyListed(folder))
                    entries.Add((name, mailbox is { Listed: true } ? mailbox : null)); // else a \Noselect level above what the user may see
                if (mailbox is { Listed: false })
                    unlisted.Add(mailbox);
                Walk(folder.Id, name + Delimiter);
            }
        }
        Walk(0, section.Prefix);
        if (section.Prefix.Length > 0 && entries.Count > 0)
        {
            // the namespace levels above the folders: "Other Users", "Other Users/bob"
            var levels = section.Prefix.TrimEnd(Delimiter).Split(Delimiter);
            for (var i = 1; i <= levels.Length; i++)
                AddPlaceholder(string.Join(Delimiter, levels[..i]));
        }
        foreach (var (name, mailbox) in entries)
        {
            if (mailbox is null)
            {
                AddPlaceholder(name);
                continue;
            }
            names.Add(name);
            mailboxes.Add(mailbox);
            byName.TryAdd(name, mailbox);
            byFolder[mailbox.Folder.Id] = mailbox;
        }
        foreach (var mailbox in unlisted)
        {
            reachable.Add(mailbox);
            byName.TryAdd(mailbox.Name, mailbox);
            byFolder[mailbox.Folder.Id] = mailbox;
        }
    }

    void AddPlaceholder(string name)
    {
        if (placeholders.Add(name))
            names.Add(name);
    }

    /// <summary>The mailboxes LIST shows.</summary>
    public IReadOnlyList<Mailbox> All => mailboxes;

    /// <summary>Every name LIST shows, in order: mailboxes and the \Noselect levels above shared ones.</summary>
    public IReadOnlyList<string> Names => names;

    /// <summary>Whether <paramref name="name"/> is a level that exists only to hold other mailboxes (\Noselect).</summary>
    public bool IsPlaceholder(string name) => placeholders.Contains(name.TrimEnd(Delimiter));

    /// <summary>Whether a name lies in the shared namespaces, where only the stores' folders exist.</summary>
    public static bool IsSharedName(string name) =>
        name.StartsWith(OtherUsersPrefix, StringComparison.OrdinalIgnoreCase) || name.StartsWith(PublicPrefix, StringComparison.OrdinalIgnoreCase)
        || name.Equals(OtherUsersPrefix.TrimEnd(Delimiter), StringComparison.OrdinalIgnoreCase) || name.Equals(PublicPrefix.TrimEnd(Delimiter), StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Finds a mailbox by name, listed or not; INBOX in any case, other names exactly, or failing
    /// that case-insensitively (folder names are unique regardless of case).
    /// </summary>
    public Mailbox? Find(string name)
    {
        if (name.Equals("INBOX", StringComparison.OrdinalIgnoreCase) || name.StartsWith("INBOX/", StringComparison.OrdinalIgnoreCase))
            name = "INBOX" + name[5..];
        name = name.TrimEnd(Delimiter);
        if (byName.TryGetValue(name, out var exact))
            return exact;
        var all = mailboxes.Concat(reachable);
        if (all.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)) is { } caseless)
            return caseless;
        // and then in NFC (RFC 9051 §5.1): a name given de-normalised finds its mailbox
        var normalized = Nfc(name);
        return all.FirstOrDefault(m => string.Equals(Nfc(m.Name), normalized, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A mailbox LIST shows by that name (<see cref="Find"/> without the unlisted ones).</summary>
    public Mailbox? FindListed(string name) => Find(name) is { Listed: true } mailbox ? mailbox : null;

    /// <summary>The text in Unicode normalization form C; text that cannot be normalised (a lone surrogate) as it is.</summary>
    public static string Nfc(string text)
    {
        try
        {
            return text.IsNormalized() ? text : text.Normalize();
        }
        catch (ArgumentException)
        {
            return text;
        }
    }

    public Mailbox? OfFolder(long folderId) => byFolder.GetValueOrDefault(folderId);

    /// <summary>The parent name of <paramref name="name"/> and its last level.</summary>
    public static (string Parent, string Leaf) Split(string name)
    {
        var trimmed = name.TrimEnd(Delimiter);
        var slash = trimmed.LastIndexOf(Delimiter);
        return slash < 0 ? ("", trimmed) : (trimmed[..slash], trimmed[(slash + 1)..]);
    }

    /// <summary>LIST pattern matching: '*' matches anything, '%' anything but the delimiter.</summary>
    public static bool Matches(string pattern, string name)
    {
        return Match(0, 0);

        bool Match(int p, int n)
        {
            while (p < pattern.Length)
            {
                var c = pattern[p];
                if (c is '*' or '%')
                {
                    for (var k = n; k <= name.Length; k++)
                    {
                        if (Match(p + 1, k))
                            return true;
                        if (k < name.Length && c == '%' && name[k] == Delimiter)
                            return false;
                    }
                    return false;
                }
                if (n >= name.Length || !CharEquals(c, name[n], n))
                    return false;
                p++;
                n++;
            }
            return n == name.Length;
        }

        // INBOX matches case-insensitively (RFC 9051 §5.1)
        bool CharEquals(char a, char b, int index) =>
            a == b || (index < 5 && name.StartsWith("INBOX", StringComparison.Ordinal) && (name.Length == 5 || name[5] == Delimiter) && char.ToUpperInvariant(a) == b);
    }
}
