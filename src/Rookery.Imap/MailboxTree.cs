using Rookery.Store;

namespace Rookery.Imap;

/// <summary>One folder as IMAP shows it: its full name with '/' between levels, and its attributes.</summary>
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
}

/// <summary>
/// The folders of a store as IMAP mailboxes: the Inbox is "INBOX" whatever the store's language
/// calls it, levels are separated by '/', and with imap_only_mailfolders the calendar, contacts,
/// tasks, notes and journal folders (and what lies under them) are left out, as the original did.
/// </summary>
public sealed class MailboxTree
{
    public const char Delimiter = '/';

    readonly List<Mailbox> mailboxes = [];
    readonly Dictionary<string, Mailbox> byName = new(StringComparer.Ordinal);
    readonly Dictionary<long, Mailbox> byFolder = [];

    public MailboxTree(IReadOnlyList<FolderInfo> folders, bool onlyMailFolders)
    {
        var children = folders.ToLookup(f => f.ParentId ?? 0);
        void Walk(long parentId, string prefix)
        {
            foreach (var folder in children[parentId].OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                if (onlyMailFolders && folder.ContainerClass != ContainerClass.Mail)
                    continue;
                if (folder.Name.Contains(Delimiter, StringComparison.Ordinal))
                    continue; // not addressable with '/' as the hierarchy delimiter
                var name = prefix.Length == 0 && folder.SpecialUse == Store.SpecialUse.Inbox ? "INBOX" : prefix + folder.Name;
                var mailbox = new Mailbox(name, folder, children[folder.Id].Any(c => !onlyMailFolders || c.ContainerClass == ContainerClass.Mail));
                mailboxes.Add(mailbox);
                byName.TryAdd(name, mailbox);
                byFolder[folder.Id] = mailbox;
                Walk(folder.Id, name + Delimiter);
            }
        }
        Walk(0, "");
    }

    public IReadOnlyList<Mailbox> All => mailboxes;

    /// <summary>Finds a mailbox by name; INBOX in any case, other names exactly, or failing that case-insensitively (folder names are unique regardless of case).</summary>
    public Mailbox? Find(string name)
    {
        if (name.Equals("INBOX", StringComparison.OrdinalIgnoreCase) || name.StartsWith("INBOX/", StringComparison.OrdinalIgnoreCase))
            name = "INBOX" + name[5..];
        name = name.TrimEnd(Delimiter);
        if (byName.TryGetValue(name, out var exact))
            return exact;
        if (mailboxes.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)) is { } caseless)
            return caseless;
        // and then in NFC (RFC 9051 §5.1): a name given de-normalised finds its mailbox
        var normalized = Nfc(name);
        return mailboxes.FirstOrDefault(m => string.Equals(Nfc(m.Name), normalized, StringComparison.OrdinalIgnoreCase));
    }

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
