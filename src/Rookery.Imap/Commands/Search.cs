using System.Globalization;
using MimeKit;
using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>SEARCH and UID SEARCH (RFC 9051 §6.4.4).</summary>
public sealed partial class ImapSession
{
    /// <summary>
    /// A search key, evaluated per message; <see cref="NeedsContent"/> says whether it reads the message,
    /// <see cref="NeedsItem"/> whether it reads the stored item (size, dates, fields) rather than only what
    /// the session keeps of the message (flags, keywords, UID, modseq).
    /// </summary>
    abstract record SearchKey
    {
        public virtual bool NeedsContent => false;
        public virtual bool NeedsItem => NeedsContent;
    }

    sealed record MatchAll : SearchKey;
    sealed record FlagKey(MessageFlags Flag, bool Set) : SearchKey;
    sealed record KeywordKey(string Keyword, bool Set) : SearchKey;
    sealed record SetKey(SequenceSet Set, bool Uids) : SearchKey;
    sealed record DateKey(bool Sent, string Comparison, DateOnly Date) : SearchKey
    {
        public override bool NeedsItem => true;
    }

    sealed record SizeKey(bool Larger, long Size) : SearchKey
    {
        public override bool NeedsItem => true;
    }

    sealed record FieldKey(string Field, string Value) : SearchKey
    {
        public override bool NeedsItem => true;
    }

    sealed record ModSeqKey(long ModSeq) : SearchKey;
    sealed record RecentKey : SearchKey;

    sealed record HeaderKey(string Field, string Value) : SearchKey
    {
        public override bool NeedsContent => true;
        public bool IsAddressField => Field.ToUpperInvariant() is "FROM" or "TO" or "CC" or "BCC";
    }

    sealed record TextKey(bool BodyOnly, string Value) : SearchKey
    {
        public override bool NeedsContent => true;
        /// <summary>The string's octets when it is ASCII (what a look at a message's octets can rule out), else null.</summary>
        public byte[]? Ascii { get; } = Value.Length > 0 && System.Text.Ascii.IsValid(Value) ? System.Text.Encoding.ASCII.GetBytes(Value) : null;
    }

    sealed record NotKey(SearchKey Key) : SearchKey
    {
        public override bool NeedsContent => Key.NeedsContent;
        public override bool NeedsItem => Key.NeedsItem;
    }

    sealed record OrKey(SearchKey Left, SearchKey Right) : SearchKey
    {
        public override bool NeedsContent => Left.NeedsContent || Right.NeedsContent;
        public override bool NeedsItem => Left.NeedsItem || Right.NeedsItem;
    }

    sealed record AndKey(IReadOnlyList<SearchKey> Keys) : SearchKey
    {
        public override bool NeedsContent => Keys.Any(k => k.NeedsContent);
        public override bool NeedsItem => Keys.Any(k => k.NeedsItem);
    }

    async Task<string?> SearchAsync(ImapCommandLine command, bool uids, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 1, int.MaxValue);
        var arguments = command.Arguments;
        var position = 0;
        // ESEARCH (RFC 4731) and SEARCHRES (RFC 5182)
        var returns = ReturnOptions(arguments, following: 1, search: true);
        if (returns is not null)
            position = 2;
        if (arguments[position] is ImapAtom charset && charset.Is("CHARSET"))
        {
            if (position + 2 >= arguments.Count)
                throw Bad("CHARSET needs a name and search keys");
            CheckCharset(arguments[position + 1]);
            position += 2;
        }
        // IMAP4rev2 has one SEARCH response, ESEARCH, with ALL when RETURN does not say (RFC 9051 §6.4.4)
        if (returns is null && imap4rev2)
            returns = new SearchReturn(["ALL"], null);
        var key = ParseSearchProgram(arguments, position);
        var usesModSeq = UsesModSeq(key);
        if (usesModSeq)
            EnableCondStore();
        var view = selected!;
        var matches = await FindAsync(key, cancellationToken);
        var highestModSeq = usesModSeq && matches.Count > 0 ? matches.Max(m => view[m.Seq].ModSeq) : (long?)null;
        if (returns is not null && usesModSeq && matches.Count > 0 && !returns.Contains("ALL") && !returns.Contains("COUNT") && returns.Partial is null)
        {
            // RFC 4731 §3.2: the MODSEQ is the highest of the messages the response names, here only MIN and/or MAX
            var reported = new List<(int Seq, long Uid)>();
            if (returns.Contains("MIN"))
                reported.Add(matches[0]);
            if (returns.Contains("MAX"))
                reported.Add(matches[^1]);
            highestModSeq = reported.Count > 0 ? reported.Max(m => view[m.Seq].ModSeq) : highestModSeq;
        }
        if (returns is null)
        {
            writer.Raw("* SEARCH");
            foreach (var (seq, uid) in matches)
                writer.Space().Number(uids ? uid : seq);
            if (highestModSeq is { } h)
                writer.Raw(" (MODSEQ ").Number(h).Raw(")");
            writer.EndLine();
            return null;
        }
        WriteEsearch(command.Tag, uids, returns, matches, UidSet, highestModSeq);
        if (returns.Contains("UPDATE"))
            KeepUpdated(command.Tag, uids, key, matches);
        return null;
    }

    /// <summary>
    /// What RETURN asked for: MIN, MAX, COUNT, ALL, SAVE (RFC 4731, 5182), UPDATE and CONTEXT (RFC 5267, CONTEXT
    /// is a hint taken as given), and PARTIAL's range of positions in the result (RFC 9394 syntax, as imaptest's
    /// CONTEXT=SEARCH scripts use it): First..Last from 1, or counted from the end when negative (-1 the last).
    /// </summary>
    sealed record SearchReturn(List<string> Options, (long First, long Last)? Partial)
    {
        public bool Contains(string option) => Options.Contains(option);
    }

    /// <summary>
    /// RETURN (options) at the start of a SEARCH or SORT: null when it has none, ALL when the list is empty.
    /// <paramref name="following"/> is how many arguments must come after it at least. UPDATE, CONTEXT and
    /// PARTIAL are SEARCH's (CONTEXT=SEARCH); SORT has no CONTEXT=SORT here.
    /// </summary>
    static SearchReturn? ReturnOptions(IReadOnlyList<ImapArgument> arguments, int following, bool search = false)
    {
        if (!(arguments[0] is ImapAtom ret && ret.Is("RETURN")))
            return null;
        if (arguments.Count < 2 + following)
            throw Bad("RETURN needs options and search keys");
        var items = List(arguments[1]);
        var options = new List<string>();
        (long, long)? partial = null;
        for (var i = 0; i < items.Count; i++)
        {
            var option = Atom(items[i]).ToUpperInvariant();
            if (option is "MIN" or "MAX" or "COUNT" or "ALL" or "SAVE" || (search && option is "UPDATE" or "CONTEXT"))
                options.Add(option);
            else if (search && option == "PARTIAL" && partial is null && i + 1 < items.Count)
                partial = PartialRange(Atom(items[++i]));
            else
                throw Bad("Unknown RETURN option");
        }
        if (partial is not null && options.Contains("ALL"))
            throw Bad("RETURN cannot have both ALL and PARTIAL");
        if (partial is not null && options.Contains("UPDATE"))
            throw Bad("RETURN PARTIAL cannot be kept up to date");
        if (options.Count == 0 && partial is null)
            options.Add("ALL");
        return new SearchReturn(options, partial);
    }

    /// <summary>A PARTIAL range: two positions of one sign, in either order; 1:* and lone numbers are no range.</summary>
    static (long First, long Last) PartialRange(string text)
    {
        var colon = text.IndexOf(':');
        if (colon < 0 || !TryPosition(text[..colon], out var a) || !TryPosition(text[(colon + 1)..], out var b) || (a < 0) != (b < 0))
            throw Bad("Invalid PARTIAL range");
        return a < 0 ? (Math.Max(a, b), Math.Min(a, b)) : (Math.Min(a, b), Math.Max(a, b));

        static bool TryPosition(string s, out long value)
        {
            var negative = s.StartsWith('-');
            var ok = long.TryParse(negative ? s[1..] : s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value)
                && value is > 0 and <= uint.MaxValue;
            value = negative ? -value : value;
            return ok;
        }
    }

    /// <summary>
    /// The ESEARCH answer of a SEARCH or SORT RETURN (and SAVE's result): MIN and MAX are the first and last of
    /// <paramref name="matches"/> as ordered, ALL is <paramref name="set"/> of them.
    /// </summary>
    void WriteEsearch(string tag, bool uids, SearchReturn returns, IReadOnlyList<(int Seq, long Uid)> matches, Func<IReadOnlyList<long>, string> set, long? highestModSeq)
    {
        if (returns.Contains("SAVE"))
            savedSearch = matches.Select(m => m.Uid).ToList();
        if (returns is { Options: ["SAVE"], Partial: null })
            return;
        var numbers = matches.Select(m => uids ? m.Uid : m.Seq).ToList();
        writer.Raw("* ESEARCH (TAG ").Quoted(tag).Raw(")");
        if (uids)
            writer.Raw(" UID");
        if (numbers.Count > 0)
        {
            if (returns.Contains("MIN"))
                writer.Raw(" MIN ").Number(numbers[0]);
            if (returns.Contains("MAX"))
                writer.Raw(" MAX ").Number(numbers[^1]);
            if (returns.Contains("ALL"))
                writer.Raw(" ALL ").Raw(set(numbers));
        }
        if (returns.Partial is { } partial)
        {
            var (first, last) = partial;
            // positions from 1, or from the end; what lies past the result is left out, NIL when nothing is left
            var (from, to) = first > 0 ? (first - 1, last - 1) : (numbers.Count + last, numbers.Count + first);
            from = Math.Max(from, 0);
            to = Math.Min(to, numbers.Count - 1);
            writer.Raw(" PARTIAL (").Raw(first.ToString(System.Globalization.CultureInfo.InvariantCulture)).Raw(":")
                .Raw(last.ToString(System.Globalization.CultureInfo.InvariantCulture)).Space()
                .Raw(from > to ? "NIL" : set(numbers.Skip((int)from).Take((int)(to - from + 1)).ToList())).Raw(")");
        }
        if (returns.Contains("COUNT"))
            writer.Raw(" COUNT ").Number(numbers.Count);
        if (highestModSeq is { } modSeq)
            writer.Raw(" MODSEQ ").Number(modSeq);
        writer.EndLine();
    }

    static bool UsesModSeq(SearchKey key) => key switch
    {
        ModSeqKey => true,
        NotKey n => UsesModSeq(n.Key),
        OrKey o => UsesModSeq(o.Left) || UsesModSeq(o.Right),
        AndKey a => a.Keys.Any(UsesModSeq),
        _ => false,
    };

    static void CheckCharset(ImapArgument argument)
    {
        var name = AString(argument).ToUpperInvariant();
        if (name is not ("UTF-8" or "US-ASCII"))
            throw No($"Charset {Printable(name)} is not supported", "BADCHARSET (UTF-8 US-ASCII)");
    }

    /// <summary>The search keys from <paramref name="position"/> to the end, ANDed.</summary>
    static SearchKey ParseSearchProgram(IReadOnlyList<ImapArgument> arguments, int position)
    {
        if (position >= arguments.Count)
            throw Bad("Search keys are missing");
        var keys = new List<SearchKey>();
        while (position < arguments.Count)
            keys.Add(ParseSearchKey(arguments, ref position, 0));
        return keys.Count == 1 ? keys[0] : new AndKey(keys);
    }

    /// <summary>The messages of the selected mailbox that match, in mailbox order.</summary>
    async Task<List<(int Seq, long Uid)>> FindAsync(SearchKey key, CancellationToken cancellationToken)
    {
        RefuseRecentKeys(key);
        var view = selected!;
        var matches = new List<(int Seq, long Uid)>();
        var live = new List<(int Seq, ViewMessage Message)>(view.Count);
        for (var seq = 1; seq <= view.Count; seq++)
        {
            if (!view[seq].Expunged)
                live.Add((seq, view[seq]));
        }
        if (key.NeedsItem && !key.NeedsContent && Prefilter(key) is { } query)
        {
            // the database finds the candidates in the columns extracted at ingest; the key decides on those alone
            var candidates = (await Store.ListItemsAsync(view.FolderId, query, cancellationToken)).ToDictionary(i => i.Uid);
            foreach (var (seq, message) in live)
            {
                if (candidates.TryGetValue(message.Uid, out var item) && Evaluate(key, seq, message, item, null))
                    matches.Add((seq, message.Uid));
            }
            return matches;
        }
        return await MatchAsync(key, live, cancellationToken);
    }

    /// <summary>Those of <paramref name="candidates"/> (in mailbox order) that match <paramref name="key"/>.</summary>
    async Task<List<(int Seq, long Uid)>> MatchAsync(SearchKey key, IReadOnlyList<(int Seq, ViewMessage Message)> candidates, CancellationToken cancellationToken)
    {
        var view = selected!;
        var matches = new List<(int Seq, long Uid)>();
        foreach (var batch in candidates.Chunk(key.NeedsItem ? FetchBatch : Math.Max(candidates.Count, 1)))
        {
            var stored = key.NeedsItem ? await view.LoadItemsAsync(Store, batch, cancellationToken) : null;
            foreach (var (seq, message) in batch)
            {
                ItemInfo? item = null;
                if (stored is not null && !stored.TryGetValue(message.Uid, out item))
                    continue; // expunged by another session and not reported yet: nothing left to match
                MimeMessage? parsed = null;
                if (key.NeedsContent)
                    parsed = await ParseMessageAsync(key, item!, cancellationToken);
                if (Evaluate(key, seq, message, item, parsed))
                    matches.Add((seq, message.Uid));
            }
        }
        return matches;
    }

    /// <summary>
    /// What the database can test of <paramref name="key"/> in its columns: the AND of those of its conjuncts whose
    /// SQL test finds every message their own test finds (LOWER … LIKE on an ASCII string is that; on other text
    /// the engines fold case differently from .NET, so such a conjunct is left to the key). Null when none is.
    /// </summary>
    static ItemQuery? Prefilter(SearchKey key)
    {
        ItemQuery? query = null;
        foreach (var conjunct in key is AndKey and ? and.Keys : [key])
        {
            var q = query ?? new ItemQuery();
            query = conjunct switch
            {
                FieldKey { Value.Length: > 0 } f when System.Text.Ascii.IsValid(f.Value) => f.Field switch
                {
                    "FROM" when q.FromContains is null => q with { FromContains = f.Value },
                    "TO" when q.ToContains is null => q with { ToContains = f.Value },
                    "CC" when q.CcContains is null => q with { CcContains = f.Value },
                    "SUBJECT" when q.SubjectContains is null => q with { SubjectContains = f.Value },
                    _ => query,
                },
                SizeKey { Larger: true } z => q with { LargerThan = Math.Max(q.LargerThan ?? long.MinValue, z.Size) },
                SizeKey z => q with { SmallerThan = Math.Min(q.SmallerThan ?? long.MaxValue, z.Size) },
                _ => query,
            };
        }
        return query;
    }

    /// <summary>
    /// The message parsed for <paramref name="key"/>'s content keys, or null when it cannot match any of them:
    /// those keys are then false without parsing (most messages of a BODY search).
    /// </summary>
    async Task<MimeMessage?> ParseMessageAsync(SearchKey key, ItemInfo item, CancellationToken cancellationToken)
    {
        var raw = await ReadContentAsync(item, cancellationToken);
        if (!MayMatchContent(key, raw))
            return null;
        try
        {
            return MimeMessage.Load(new MemoryStream(raw, writable: false), cancellationToken);
        }
        catch (FormatException)
        {
            return null; // an unparseable message matches no content key
        }
    }

    /// <summary>
    /// Whether a content key of <paramref name="key"/> may match <paramref name="raw"/>: always for HEADER keys and
    /// non-ASCII strings; for BODY and TEXT with an ASCII string, only when the octets hold it (ASCII case aside)
    /// or the message may hide it from a look at its octets — a base64 or quoted-printable part, an encoded word,
    /// a charset that does not write ASCII as ASCII, or one of the two letters that fold to an ASCII one
    /// (U+0131 dotless i, U+017F long s). Otherwise the decoded text cannot hold it either, and the message
    /// need not be parsed.
    /// </summary>
    static bool MayMatchContent(SearchKey key, ReadOnlySpan<byte> raw)
    {
        switch (key)
        {
            case TextKey t:
                // a line break in the string (the decoded text has LF for CRLF), or a '?' that a byte the charset
                // cannot decode may have become, or a NUL (UTF-16 and UTF-32 write one in every ASCII letter)
                if (t.Ascii is not { } needle || t.Value.AsSpan().IndexOfAny('\r', '\n') >= 0
                    || (t.Value.Contains('?') && raw.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0) || raw.IndexOf((byte)0) >= 0)
                    return true;
                if (ContainsIgnoreCase(raw, needle))
                    return true;
                // TEXT looks at header fields unfolded: a string may span a fold
                if (!t.BodyOnly && HasFoldedField(raw))
                    return true;
                foreach (var marker in HidingMarkers)
                {
                    if (ContainsIgnoreCase(raw, marker))
                        return true;
                }
                return raw.IndexOf("\u0131"u8) >= 0 || raw.IndexOf("\u017F"u8) >= 0 || (!t.BodyOnly && raw.IndexOf("=?"u8) >= 0);
            case HeaderKey:
                return true;
            case NotKey n:
                return MayMatchContent(n.Key, raw);
            case OrKey o:
                return MayMatchContent(o.Left, raw) || MayMatchContent(o.Right, raw);
            case AndKey a:
                foreach (var k in a.Keys)
                {
                    if (k.NeedsContent && MayMatchContent(k, raw))
                        return true;
                }
                return false;
            default:
                return false;
        }
    }

    static bool HasFoldedField(ReadOnlySpan<byte> raw)
    {
        var end = raw.IndexOf("\n\r\n"u8) is var crlf and >= 0 ? crlf : raw.IndexOf("\n\n"u8) is var lf and >= 0 ? lf : raw.Length;
        var header = raw[..end];
        if (header.IndexOf("\n "u8) >= 0 || header.IndexOf("\n\t"u8) >= 0)
            return true;
        // unfolding drops every CR and LF: a lone CR joins what it separates
        for (var at = header.IndexOf((byte)'\r'); at >= 0; at = header[(at + 1)..].IndexOf((byte)'\r') is var next and >= 0 ? at + 1 + next : -1)
        {
            if (at + 1 >= header.Length || header[at + 1] != (byte)'\n')
                return true;
        }
        return false;
    }

    static readonly byte[][] HidingMarkers = [.. new[] { "base64", "quoted-printable", "utf-7", "utf-16", "utf-32", "ucs-", "iso-2022", "hz-gb", "unicode-1-1", "uue" }.Select(System.Text.Encoding.ASCII.GetBytes)];

    static bool ContainsIgnoreCase(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        var first = needle[0];
        var lower = (byte)(first is >= (byte)'A' and <= (byte)'Z' ? first + 32 : first);
        var upper = (byte)(first is >= (byte)'a' and <= (byte)'z' ? first - 32 : first);
        var at = 0;
        while (at <= haystack.Length - needle.Length)
        {
            var found = haystack[at..].IndexOfAny(lower, upper);
            if (found < 0 || at + found > haystack.Length - needle.Length)
                return false;
            at += found;
            if (System.Text.Ascii.EqualsIgnoreCase(haystack.Slice(at, needle.Length), needle))
                return true;
            at++;
        }
        return false;
    }

    const int MaxSearchDepth = 100;

    static SearchKey ParseSearchKey(IReadOnlyList<ImapArgument> arguments, ref int position, int depth)
    {
        if (depth > MaxSearchDepth)
            throw Bad("Search keys nested too deeply");
        var argument = arguments[position++];
        if (argument is ImapList list)
        {
            if (list.Items.Count == 0)
                throw Bad("Empty search key list");
            var inner = new List<SearchKey>();
            var p = 0;
            while (p < list.Items.Count)
                inner.Add(ParseSearchKey(list.Items, ref p, depth + 1));
            return inner.Count == 1 ? inner[0] : new AndKey(inner);
        }
        if (argument is not ImapAtom atom)
            throw Bad("Expected a search key");
        switch (atom.Value.ToUpperInvariant())
        {
            case "ALL": return new MatchAll();
            case "ANSWERED": return new FlagKey(MessageFlags.Answered, true);
            case "DELETED": return new FlagKey(MessageFlags.Deleted, true);
            case "DRAFT": return new FlagKey(MessageFlags.Draft, true);
            case "FLAGGED": return new FlagKey(MessageFlags.Flagged, true);
            case "SEEN": return new FlagKey(MessageFlags.Seen, true);
            case "UNANSWERED": return new FlagKey(MessageFlags.Answered, false);
            case "UNDELETED": return new FlagKey(MessageFlags.Deleted, false);
            case "UNDRAFT": return new FlagKey(MessageFlags.Draft, false);
            case "UNFLAGGED": return new FlagKey(MessageFlags.Flagged, false);
            case "UNSEEN": return new FlagKey(MessageFlags.Seen, false);
            case "RECENT": return new RecentKey();
            case "OLD": return new NotKey(new RecentKey());
            case "NEW": return new AndKey([new RecentKey(), new FlagKey(MessageFlags.Seen, false)]);
            case "KEYWORD": return new KeywordKey(Next(arguments, ref position, atom), true);
            case "UNKEYWORD": return new KeywordKey(Next(arguments, ref position, atom), false);
            case "BEFORE": return new DateKey(false, "<", SearchDate(Next(arguments, ref position, atom)));
            case "ON": return new DateKey(false, "=", SearchDate(Next(arguments, ref position, atom)));
            case "SINCE": return new DateKey(false, ">=", SearchDate(Next(arguments, ref position, atom)));
            case "SENTBEFORE": return new DateKey(true, "<", SearchDate(Next(arguments, ref position, atom)));
            case "SENTON": return new DateKey(true, "=", SearchDate(Next(arguments, ref position, atom)));
            case "SENTSINCE": return new DateKey(true, ">=", SearchDate(Next(arguments, ref position, atom)));
            case "LARGER": return new SizeKey(true, SearchNumber(Next(arguments, ref position, atom)));
            case "SMALLER": return new SizeKey(false, SearchNumber(Next(arguments, ref position, atom)));
            case "SUBJECT": return new FieldKey("SUBJECT", Next(arguments, ref position, atom));
            // the addresses extracted at ingest, decoded, as "Name <local@domain>, …": no message is read
            case "FROM": return new FieldKey("FROM", Next(arguments, ref position, atom));
            case "TO": return new FieldKey("TO", Next(arguments, ref position, atom));
            case "CC": return new FieldKey("CC", Next(arguments, ref position, atom));
            case "BCC": return new HeaderKey("Bcc", Next(arguments, ref position, atom));
            case "HEADER":
                var field = Next(arguments, ref position, atom);
                return new HeaderKey(field, Next(arguments, ref position, atom));
            case "BODY": return new TextKey(true, Next(arguments, ref position, atom));
            case "TEXT": return new TextKey(false, Next(arguments, ref position, atom));
            case "UID": return new SetKey(SequenceSetArgument(Next(arguments, ref position, atom)), Uids: true);
            case "MODSEQ":
                // MODSEQ [entry-name entry-type] modseq (RFC 7162 §3.1.5); per-flag entries are not kept, so they mean the message's modseq
                var value = Next(arguments, ref position, atom);
                if (position + 1 <= arguments.Count && !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    Next(arguments, ref position, atom);
                    value = Next(arguments, ref position, atom);
                }
                return new ModSeqKey(SearchNumber(value));
            case "NOT":
                if (position >= arguments.Count)
                    throw Bad("NOT needs a search key");
                return new NotKey(ParseSearchKey(arguments, ref position, depth + 1));
            case "OR":
                if (position >= arguments.Count)
                    throw Bad("OR needs two search keys");
                var left = ParseSearchKey(arguments, ref position, depth + 1);
                if (position >= arguments.Count)
                    throw Bad("OR needs two search keys");
                return new OrKey(left, ParseSearchKey(arguments, ref position, depth + 1));
            default:
                if (SequenceSet.TryParse(atom.Value, out var set))
                    return new SetKey(set, Uids: false);
                throw Bad($"Unknown search key {Printable(atom.Value)}");
        }
    }

    static string Next(IReadOnlyList<ImapArgument> arguments, ref int position, ImapAtom key) =>
        position < arguments.Count ? AString(arguments[position++]) : throw Bad($"{key.Value} needs an argument");

    static SequenceSet SequenceSetArgument(string text) =>
        SequenceSet.TryParse(text, out var set) ? set : throw Bad("Invalid sequence set");

    static long SearchNumber(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Bad("Expected a number");

    /// <summary>date: d-Mon-yyyy (RFC 9051 §9).</summary>
    static DateOnly SearchDate(string text) =>
        DateOnly.TryParseExact(text, ["d-MMM-yyyy", "dd-MMM-yyyy"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : throw Bad("Invalid date");

    /// <param name="item">The stored item, when <see cref="SearchKey.NeedsItem"/>.</param>
    /// <param name="message">The parsed content, when <see cref="SearchKey.NeedsContent"/>.</param>
    bool Evaluate(SearchKey key, int seq, ViewMessage known, ItemInfo? item, MimeMessage? message)
    {
        switch (key)
        {
            case MatchAll:
                return true;
            case FlagKey f:
                return known.Flags.HasFlag(f.Flag) == f.Set;
            case KeywordKey k:
                return known.Keywords.Contains(k.Keyword, StringComparer.OrdinalIgnoreCase) == k.Set;
            case SetKey s when s.Set.IsSavedResult:
                return savedSearch.Contains(known.Uid);
            case SetKey s:
                var view = selected!;
                return s.Uids ? s.Set.Contains(known.Uid, view[view.Count].Uid) : s.Set.Contains(seq, view.Count);
            case DateKey d:
                DateOnly date;
                if (d.Sent)
                {
                    if (item!.Fields.SentAt is not { } sent)
                        return false;
                    date = DateOnly.FromDateTime(sent.DateTime); // the date as written in the Date header, its own zone
                }
                else
                    date = DateOnly.FromDateTime(item!.ReceivedAt.ToOffset(item.ReceivedAt.Offset).DateTime);
                return d.Comparison switch { "<" => date < d.Date, "=" => date == d.Date, _ => date >= d.Date };
            case RecentKey:
                return known.Recent;
            case ModSeqKey m:
                return known.ModSeq >= m.ModSeq;
            case SizeKey z:
                return z.Larger ? item!.Size > z.Size : item!.Size < z.Size;
            case FieldKey f:
                var field = f.Field switch { "FROM" => item!.Fields.From, "TO" => item!.Fields.To, "CC" => item!.Fields.Cc, _ => item!.Fields.Subject };
                // RFC 9051 §6.4.4: an empty string matches every message that has the field
                return f.Value.Length == 0 && f.Field != "SUBJECT" ? field.Length > 0 : field.Contains(f.Value, StringComparison.OrdinalIgnoreCase);
            case HeaderKey h:
                if (message is null)
                    return false;
                foreach (var header in message.Headers)
                {
                    if (!header.Field.Equals(h.Field, StringComparison.OrdinalIgnoreCase))
                        continue;
                    if (h.Value.Length == 0 || header.Value.Contains(h.Value, StringComparison.OrdinalIgnoreCase))
                        return true;
                    // address headers are also matched as their addresses, without comments or folding
                    if (h.IsAddressField && InternetAddressList.TryParse(header.Value, out var addresses)
                        && addresses.Mailboxes.Any(m => m.Address.Contains(h.Value, StringComparison.OrdinalIgnoreCase) || (m.Name?.Contains(h.Value, StringComparison.OrdinalIgnoreCase) ?? false)))
                        return true;
                }
                return false;
            case TextKey t:
                if (message is null)
                    return false;
                if (!t.BodyOnly && message.Headers.Any(hd => hd.Value.Contains(t.Value, StringComparison.OrdinalIgnoreCase)))
                    return true;
                return message.BodyParts.OfType<TextPart>().Any(p => p.Text?.Contains(t.Value, StringComparison.OrdinalIgnoreCase) == true);
            case NotKey n:
                return !Evaluate(n.Key, seq, known, item, message);
            case OrKey o:
                return Evaluate(o.Left, seq, known, item, message) || Evaluate(o.Right, seq, known, item, message);
            case AndKey a:
                return a.Keys.All(k => Evaluate(k, seq, known, item, message));
            default:
                return false;
        }
    }
}
