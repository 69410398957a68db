using System.Text;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>
/// RFC 4314 rights and the store's folder rights, both ways. Several IMAP rights share one store
/// right and are therefore tied (granted and revoked together): r+s are not, but i+p, x+a and
/// t+e are. The obsolete "c" is k+x and "d" is t+e (RFC 4314 §2.1.1, the RFC 2086 reading in
/// which "c" controls DELETE).
/// </summary>
public static class ImapRights
{
    /// <summary>Every right in the order responses list them.</summary>
    public const string AllLetters = "lrswipkxtecda";

    static readonly (char Letter, FolderRights Rights)[] Map =
    [
        ('l', FolderRights.FolderVisible),
        ('r', FolderRights.ReadItems),
        // items carry no author: read state is the "own" change, everything else needs edit-all
        ('s', FolderRights.EditOwn),
        ('w', FolderRights.EditAll),
        ('i', FolderRights.CreateItems),
        ('p', FolderRights.CreateItems),
        ('k', FolderRights.CreateSubfolders),
        ('x', FolderRights.FolderOwner),
        ('t', FolderRights.DeleteAll),
        ('e', FolderRights.DeleteAll),
        ('a', FolderRights.FolderOwner),
    ];

    /// <summary>LISTRIGHTS' groups for anyone but the store owner: each group is granted as a whole.</summary>
    public static IReadOnlyList<string> Groups { get; } = ["l", "r", "s", "w", "ip", "k", "xa", "te", "c", "d"];

    /// <summary>The IMAP rights a set of store rights gives, with "c" and "d" whenever one of their members is there.</summary>
    public static string ToImap(FolderRights rights)
    {
        var letters = new StringBuilder();
        foreach (var (letter, needed) in Map)
        {
            if ((rights & needed) == needed)
                letters.Append(letter);
        }
        var text = letters.ToString();
        var ordered = new StringBuilder();
        foreach (var letter in AllLetters)
        {
            var present = letter switch
            {
                'c' => text.Contains('k', StringComparison.Ordinal) || text.Contains('x', StringComparison.Ordinal),
                'd' => text.Contains('t', StringComparison.Ordinal) || text.Contains('e', StringComparison.Ordinal),
                _ => text.Contains(letter, StringComparison.Ordinal),
            };
            if (present)
                ordered.Append(letter);
        }
        return ordered.ToString();
    }

    /// <summary>The store rights for IMAP rights; false for a letter RFC 4314 does not define.</summary>
    public static bool TryParse(string letters, out FolderRights rights)
    {
        rights = FolderRights.None;
        foreach (var letter in letters)
        {
            switch (letter)
            {
                case 'c':
                    rights |= FolderRights.CreateSubfolders | FolderRights.FolderOwner;
                    break;
                case 'd':
                    rights |= FolderRights.DeleteAll;
                    break;
                default:
                    var found = Array.FindIndex(Map, m => m.Letter == letter);
                    if (found < 0)
                        return false;
                    rights |= Map[found].Rights;
                    break;
            }
        }
        // edit-all and delete-all take in the "own" rights, as the original's roles do
        if (rights.HasFlag(FolderRights.DeleteAll))
            rights |= FolderRights.DeleteOwn;
        return true;
    }
}
