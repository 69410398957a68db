using MimeKit;
using MimeKit.Utils;
using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>SORT and THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES; SORT=DISPLAY (RFC 5957).</summary>
public sealed partial class ImapSession
{
    async Task<string?> SortAsync(ImapCommandLine command, bool uids, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 3, int.MaxValue);
        var arguments = command.Arguments;
        var position = 0;
        // ESORT (RFC 5267 §3): the answer is an ESEARCH, MIN and MAX in sort order, ALL in sort order
        var returns = ReturnOptions(arguments, following: 3);
        if (returns is not null)
            position = 2;
        var criteria = List(arguments[position]).Select(c => Atom(c).ToUpperInvariant()).ToList();
        if (criteria.Count == 0 || criteria[^1] == "REVERSE" || criteria.Any(c => c is not ("ARRIVAL" or "CC" or "DATE" or "FROM" or "REVERSE" or "SIZE" or "SUBJECT" or "TO" or "DISPLAYFROM" or "DISPLAYTO")))
            throw Bad("Invalid sort criteria");
        CheckCharset(arguments[position + 1]);
        var matches = await FindAsync(ParseSearchProgram(arguments, position + 2), cancellationToken);
        var stored = await LoadMatchesAsync(matches, cancellationToken);
        var sorted = matches.Where(m => stored.ContainsKey(m.Uid)).Select(m => (m.Seq, m.Uid, Item: stored[m.Uid])).ToList();
        sorted.Sort((a, b) => Compare(a.Item, b.Item, criteria));
        if (returns is null)
        {
            writer.Raw("* SORT");
            foreach (var (seq, uid, _) in sorted)
                writer.Space().Number(uids ? uid : seq);
            writer.EndLine();
            return null;
        }
        WriteEsearch(command.Tag, uids, returns, sorted.Select(m => (m.Seq, m.Uid)).ToList(), OrderedSet, highestModSeq: null);
        return null;
    }

    /// <summary>Compares by each criterion in turn (REVERSE flips the next one), then by sequence number, as RFC 5256 asks.</summary>
    static int Compare(ItemInfo a, ItemInfo b, List<string> criteria)
    {
        var reverse = false;
        foreach (var criterion in criteria)
        {
            if (criterion == "REVERSE")
            {
                reverse = true;
                continue;
            }
            var result = criterion switch
            {
                "ARRIVAL" => a.ReceivedAt.CompareTo(b.ReceivedAt),
                "DATE" => SortDate(a).CompareTo(SortDate(b)),
                "SIZE" => a.Size.CompareTo(b.Size),
                "SUBJECT" => string.CompareOrdinal(BaseSubject.Of(a.Fields.Subject), BaseSubject.Of(b.Fields.Subject)),
                "FROM" => string.CompareOrdinal(FirstMailbox(a.Fields.From), FirstMailbox(b.Fields.From)),
                "TO" => string.CompareOrdinal(FirstMailbox(a.Fields.To), FirstMailbox(b.Fields.To)),
                "CC" => string.CompareOrdinal(FirstMailbox(a.Fields.Cc), FirstMailbox(b.Fields.Cc)),
                "DISPLAYFROM" => string.CompareOrdinal(DisplayName(a.Fields.From), DisplayName(b.Fields.From)),
                "DISPLAYTO" => string.CompareOrdinal(DisplayName(a.Fields.To), DisplayName(b.Fields.To)),
                _ => 0,
            };
            if (result != 0)
                return reverse ? -result : result;
            reverse = false;
        }
        return a.Uid.CompareTo(b.Uid);
    }

    /// <summary>The sent date, or the internal date when the message has no usable Date header (RFC 5256 §2.2).</summary>
    static DateTimeOffset SortDate(ItemInfo item) => item.Fields.SentAt ?? item.ReceivedAt;

    /// <summary>The local part of the first address (a group's name for a group), upper-cased, for FROM, TO and CC ordering.</summary>
    static string FirstMailbox(string addresses)
    {
        if (!InternetAddressList.TryParse(addresses, out var list) || list.Count == 0)
            return "";
        return list[0] switch
        {
            MailboxAddress mailbox => mailbox.LocalPart.ToUpperInvariant(),
            GroupAddress group => (group.Name ?? "").ToUpperInvariant(),
            _ => "",
        };
    }

    /// <summary>
    /// RFC 5957's DISPLAYFROM and DISPLAYTO key: the first address's display name, decoded, or its addr-spec when it
    /// has none (a group's name for a group), compared as i;ascii-casemap does.
    /// </summary>
    static string DisplayName(string addresses)
    {
        if (!InternetAddressList.TryParse(addresses, out var list) || list.Count == 0)
            return "";
        var key = list[0] switch
        {
            MailboxAddress mailbox => string.IsNullOrWhiteSpace(mailbox.Name) ? mailbox.Address : mailbox.Name,
            GroupAddress group => group.Name ?? "",
            _ => "",
        };
        return AsciiUpper(key);
    }

    /// <summary>i;ascii-casemap: a-z as A-Z, every other character as it is.</summary>
    static string AsciiUpper(string text) => string.Create(text.Length, text, (span, source) =>
    {
        for (var i = 0; i < source.Length; i++)
            span[i] = source[i] is >= 'a' and <= 'z' ? (char)(source[i] - 32) : source[i];
    });

    async Task<string?> ThreadAsync(ImapCommandLine command, bool uids, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 3, int.MaxValue);
        var algorithm = Atom(command.Arguments[0]).ToUpperInvariant();
        if (algorithm is not ("ORDEREDSUBJECT" or "REFERENCES"))
            throw Bad("Unknown threading algorithm");
        CheckCharset(command.Arguments[1]);
        var matches = await FindAsync(ParseSearchProgram(command.Arguments, 2), cancellationToken);
        var stored = await LoadMatchesAsync(matches, cancellationToken);
        var messages = new List<ThreadMessage>(matches.Count);
        foreach (var (seq, uid) in matches)
        {
            if (!stored.TryGetValue(uid, out var item))
                continue; // expunged by another session and not reported yet
            var references = algorithm == "REFERENCES" ? await ReferencesOfAsync(item, cancellationToken) : [];
            messages.Add(new ThreadMessage(uids ? uid : seq, item, references));
        }
        var threads = algorithm == "ORDEREDSUBJECT" ? Threading.OrderedSubject(messages) : Threading.References(messages);
        writer.Raw("* THREAD ").Raw(string.Concat(threads.Select(Threading.Format))).EndLine();
        return null;
    }

    /// <summary>The stored items of messages a search found, by UID.</summary>
    Task<Dictionary<long, ItemInfo>> LoadMatchesAsync(List<(int Seq, long Uid)> matches, CancellationToken cancellationToken)
    {
        var view = selected!;
        return view.LoadItemsAsync(Store, matches.Select(m => (m.Seq, view[m.Seq])).ToList(), cancellationToken);
    }

    /// <summary>The message-ids of References (or, failing that, In-Reply-To), oldest first.</summary>
    async Task<List<string>> ReferencesOfAsync(ItemInfo item, CancellationToken cancellationToken)
    {
        HeaderList headers;
        try
        {
            await using var stream = await Store.OpenContentAsync(item, cancellationToken);
            headers = await HeaderList.LoadAsync(ParserOptions.Default, stream, cancellationToken);
        }
        catch (FormatException)
        {
            return [];
        }
        var ids = headers[HeaderId.References] is { } references ? MimeUtils.EnumerateReferences(references).ToList() : [];
        if (ids.Count == 0 && headers[HeaderId.InReplyTo] is { } inReplyTo)
            ids = MimeUtils.EnumerateReferences(inReplyTo).Take(1).ToList();
        return ids.Select(id => "<" + id + ">").ToList();
    }
}

/// <summary>A message as threading sees it: the number to report, its fields and its references.</summary>
sealed record ThreadMessage(long Number, ItemInfo Item, List<string> References)
{
    public DateTimeOffset Date => Item.Fields.SentAt ?? Item.ReceivedAt;
}

/// <summary>A node of a thread tree; a node without a message is a placeholder for a message not in the result.</summary>
sealed class ThreadNode
{
    public ThreadMessage? Message { get; set; }
    public ThreadNode? Parent { get; set; }
    public List<ThreadNode> Children { get; } = [];

    /// <summary>The date a thread sorts by: its message's, or its first child's for a placeholder.</summary>
    public DateTimeOffset SortDate => Message?.Date ?? Children.Select(c => c.SortDate).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();

    public long SortNumber => Message?.Number ?? Children.Select(c => c.SortNumber).DefaultIfEmpty(long.MaxValue).Min();
}

static class Threading
{
    /// <summary>ORDEREDSUBJECT: messages grouped by base subject; the first (by date) is the parent of the others.</summary>
    public static List<ThreadNode> OrderedSubject(List<ThreadMessage> messages)
    {
        var threads = new List<ThreadNode>();
        foreach (var group in messages.GroupBy(m => BaseSubject.Of(m.Item.Fields.Subject)))
        {
            var ordered = group.OrderBy(m => m.Date).ThenBy(m => m.Number).ToList();
            var root = new ThreadNode { Message = ordered[0] };
            foreach (var child in ordered.Skip(1))
                root.Children.Add(new ThreadNode { Message = child, Parent = root });
            threads.Add(root);
        }
        return threads.OrderBy(t => t.SortDate).ThenBy(t => t.SortNumber).ToList();
    }

    /// <summary>REFERENCES (RFC 5256 §3, after Jamie Zawinski's algorithm): parents from References, then subjects join root threads.</summary>
    public static List<ThreadNode> References(List<ThreadMessage> messages)
    {
        var byId = new Dictionary<string, ThreadNode>(StringComparer.Ordinal);
        ThreadNode NodeFor(string id)
        {
            if (!byId.TryGetValue(id, out var node))
                byId[id] = node = new ThreadNode();
            return node;
        }
        var anonymous = new List<ThreadNode>();
        foreach (var message in messages)
        {
            // (1A) the message's own node; a duplicate message-id gets a node of its own
            var id = message.Item.Fields.MessageId;
            ThreadNode node;
            if (id.Length > 0 && (!byId.TryGetValue(id, out var existing) || existing.Message is null))
            {
                node = NodeFor(id);
                node.Message = message;
            }
            else
            {
                node = new ThreadNode { Message = message };
                anonymous.Add(node);
            }
            // (1B) link the references into a chain, without making loops
            ThreadNode? previous = null;
            foreach (var reference in message.References)
            {
                var current = NodeFor(reference);
                if (previous is not null && current.Parent is null && current != previous && !IsAncestor(current, previous))
                    Link(previous, current);
                previous = current;
            }
            // (1C) the last reference (or none) is the parent: a parent guessed from other messages'
            // References goes first, then the new link is made unless it would close a loop
            node.Parent?.Children.Remove(node);
            node.Parent = null;
            if (previous is not null && previous != node && !IsAncestor(node, previous))
                Link(previous, node);
        }
        // (2) the roots, (3) placeholders pruned
        var roots = byId.Values.Concat(anonymous).Where(n => n.Parent is null).ToList();
        roots = Prune(roots);
        // (4) roots sorted by date; (5) roots with the same base subject gathered
        roots = roots.OrderBy(r => r.SortDate).ThenBy(r => r.SortNumber).ToList();
        var bySubject = new Dictionary<string, ThreadNode>(StringComparer.Ordinal);
        var result = new List<ThreadNode>();
        foreach (var root in roots)
        {
            var first = root.Message ?? root.Children.Select(c => c.Message).FirstOrDefault(m => m is not null);
            var subject = first is null ? "" : BaseSubject.Of(first.Item.Fields.Subject, out _);
            if (subject.Length == 0 || !bySubject.TryGetValue(subject, out var earlier))
            {
                if (subject.Length > 0)
                    bySubject[subject] = root;
                result.Add(root);
                continue;
            }
            // the later root joins the earlier one: a reply below the original, or both below a placeholder
            BaseSubject.Of(first!.Item.Fields.Subject, out var isReply);
            if (earlier.Message is not null && isReply)
                Link(earlier, root);
            else
            {
                if (earlier.Message is not null)
                {
                    var holder = new ThreadNode();
                    result[result.IndexOf(earlier)] = holder;
                    Link(holder, earlier);
                    bySubject[subject] = holder;
                    earlier = holder;
                }
                Link(earlier, root);
            }
        }
        // (6) children sorted by date at every level
        foreach (var root in result)
            SortChildren(root);
        return result;
    }

    static void Link(ThreadNode parent, ThreadNode child)
    {
        child.Parent = parent;
        parent.Children.Add(child);
    }

    static bool IsAncestor(ThreadNode candidate, ThreadNode node)
    {
        for (var n = node; n is not null; n = n.Parent)
        {
            if (n == candidate)
                return true;
        }
        return false;
    }

    /// <summary>Removes placeholders without children; a placeholder's children move up, unless that would make several roots out of one.</summary>
    static List<ThreadNode> Prune(List<ThreadNode> nodes)
    {
        var result = new List<ThreadNode>();
        foreach (var node in nodes)
        {
            var children = Prune(node.Children);
            node.Children.Clear();
            node.Children.AddRange(children);
            foreach (var child in children)
                child.Parent = node;
            if (node.Message is not null)
            {
                result.Add(node);
                continue;
            }
            if (children.Count == 0)
                continue;
            var isRoot = node.Parent is null;
            if (!isRoot || children.Count == 1)
            {
                foreach (var child in children)
                    child.Parent = node.Parent;
                result.AddRange(children);
            }
            else
                result.Add(node);
        }
        return result;
    }

    static void SortChildren(ThreadNode node)
    {
        node.Children.Sort((a, b) => a.SortDate != b.SortDate ? a.SortDate.CompareTo(b.SortDate) : a.SortNumber.CompareTo(b.SortNumber));
        foreach (var child in node.Children)
            SortChildren(child);
    }

    /// <summary>The THREAD response form: (a b c) is a chain, (a (b)(c)) are siblings below a.</summary>
    public static string Format(ThreadNode root) => "(" + Body(root) + ")";

    static string Body(ThreadNode node)
    {
        var parts = new List<string>();
        var current = node;
        while (true)
        {
            if (current.Message is not null)
                parts.Add(current.Message.Number.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (current.Children.Count == 1)
            {
                current = current.Children[0];
                continue;
            }
            var text = string.Join(' ', parts);
            if (current.Children.Count > 1)
                text += (text.Length > 0 ? " " : "") + string.Concat(current.Children.Select(c => "(" + Body(c) + ")"));
            return text;
        }
    }
}
