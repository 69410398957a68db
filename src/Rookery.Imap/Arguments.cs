using System.Globalization;
using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

public sealed partial class ImapSession
{
    static void ExpectArguments(ImapCommandLine command, int min, int max = -1)
    {
        var count = command.Arguments.Count;
        if (count < min || count > (max < 0 ? min : max))
            throw Bad($"{command.Name}: wrong number of arguments");
    }

    /// <summary>An astring argument (atom, quoted string or literal) as text.</summary>
    static string AString(ImapArgument argument) => argument switch
    {
        ImapAtom atom => atom.Value,
        ImapString s => s.Text,
        _ => throw Bad("Expected a string"),
    };

    static string Atom(ImapArgument argument) => argument is ImapAtom atom ? atom.Value : throw Bad("Expected an atom");

    static long Number(ImapArgument argument) =>
        argument is ImapAtom atom && long.TryParse(atom.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Bad("Expected a number");

    static IReadOnlyList<ImapArgument> List(ImapArgument argument) => argument is ImapList list ? list.Items : throw Bad("Expected a parenthesised list");

    /// <summary>
    /// A mailbox name as the client sent it: modified UTF-7, or UTF-8 after ENABLE UTF8=ACCEPT or
    /// IMAP4rev2. A name that is not valid modified UTF-7 is refused where it would be created, and
    /// elsewhere taken as it is: no mailbox has it, so lookups answer NO and patterns match nothing.
    /// A new name must follow RFC 9051 §5.1 whatever the revision: no control characters and no line or
    /// paragraph separators; given in UTF-8, it must be valid UTF-8 and is stored in NFC.
    /// </summary>
    string MailboxName(ImapArgument argument, bool creating = false)
    {
        var raw = AString(argument);
        string name;
        if (writer.Utf8)
        {
            if (!creating)
                return raw;
            if (argument is ImapString quoted && !System.Text.Unicode.Utf8.IsValid(quoted.Content.Span))
                throw Bad("Mailbox name is not valid UTF-8");
            name = MailboxTree.Nfc(raw);
        }
        else if (ModifiedUtf7.TryDecode(raw, out var decoded))
            name = decoded;
        else
            return creating ? throw Bad("Mailbox name is not valid modified UTF-7") : raw;
        if (creating && name.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'))
            throw No("Mailbox names cannot hold control characters or line separators", "CANNOT");
        return name;
    }

    static SequenceSet Sequence(ImapArgument argument) =>
        argument is ImapAtom atom && SequenceSet.TryParse(atom.Value, out var set) ? set : throw Bad("Invalid sequence set");

    /// <summary>The messages of the selected mailbox a sequence set names, by number or by UID, in mailbox order.</summary>
    List<(int Seq, ViewMessage Message)> Resolve(SequenceSet set, bool uids)
    {
        var view = selected!;
        var result = new List<(int, ViewMessage)>();
        if (view.Count == 0)
            return result;
        if (set.IsSavedResult)
        {
            foreach (var uid in savedSearch)
            {
                if (view.SequenceOf(uid) is var s && s > 0)
                    result.Add((s, view[s]));
            }
            return result;
        }
        if (uids)
        {
            var largest = view[view.Count].Uid;
            for (var seq = 1; seq <= view.Count; seq++)
            {
                if (set.Contains(view[seq].Uid, largest))
                    result.Add((seq, view[seq]));
            }
            return result;
        }
        var seen = new bool[view.Count + 1];
        foreach (var range in set.Ranges)
        {
            var (from, to) = range.Resolve(view.Count);
            if (to > view.Count)
            {
                if (range.From != SequenceSet.Star && range.To != SequenceSet.Star)
                    throw Bad("Invalid message sequence number");
                to = view.Count; // n:* past the end still names the last message
            }
            for (var seq = (int)from; seq <= to; seq++)
                seen[seq] = true;
        }
        for (var seq = 1; seq <= view.Count; seq++)
        {
            if (seen[seq])
                result.Add((seq, view[seq]));
        }
        return result;
    }

    /// <summary>A message's flag list, written as it is built: FETCH 1:* (FLAGS) of a big folder writes one per message.</summary>
    void WriteFlagList(ViewMessage message)
    {
        writer.Raw("("u8);
        var first = true;
        if (message.Recent) Flag("\\Recent"u8);
        var flags = message.Flags;
        if (flags.HasFlag(MessageFlags.Seen)) Flag("\\Seen"u8);
        if (flags.HasFlag(MessageFlags.Answered)) Flag("\\Answered"u8);
        if (flags.HasFlag(MessageFlags.Flagged)) Flag("\\Flagged"u8);
        if (flags.HasFlag(MessageFlags.Deleted)) Flag("\\Deleted"u8);
        if (flags.HasFlag(MessageFlags.Draft)) Flag("\\Draft"u8);
        foreach (var keyword in message.Keywords)
        {
            if (!first)
                writer.Space();
            first = false;
            writer.Raw(keyword);
        }
        writer.Raw(")"u8);

        void Flag(ReadOnlySpan<byte> name)
        {
            if (!first)
                writer.Space();
            first = false;
            writer.Raw(name);
        }
    }

    /// <summary>Parses a flag list: system flags and keywords; \Recent and unknown system flags are refused.</summary>
    static (MessageFlags Flags, List<string> Keywords) ParseFlags(IEnumerable<ImapArgument> items)
    {
        var flags = MessageFlags.None;
        var keywords = new List<string>();
        foreach (var item in items)
        {
            var text = Atom(item);
            switch (text.ToUpperInvariant())
            {
                case "\\SEEN": flags |= MessageFlags.Seen; break;
                case "\\ANSWERED": flags |= MessageFlags.Answered; break;
                case "\\FLAGGED": flags |= MessageFlags.Flagged; break;
                case "\\DELETED": flags |= MessageFlags.Deleted; break;
                case "\\DRAFT": flags |= MessageFlags.Draft; break;
                default:
                    if (text.StartsWith('\\') || text.Any(c => !Protocol.ImapSyntax.IsAtomChar((byte)c) || c > 0x7f))
                        throw Bad($"Invalid flag {Printable(text)}");
                    if (!keywords.Contains(text, StringComparer.OrdinalIgnoreCase))
                        keywords.Add(text);
                    break;
            }
        }
        return (flags, keywords);
    }
}
