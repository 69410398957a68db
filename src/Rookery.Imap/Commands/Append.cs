using System.Globalization;
using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>APPEND (RFC 9051 §6.3.12) with UIDPLUS's APPENDUID, MULTIAPPEND and CATENATE.</summary>
public sealed partial class ImapSession
{
    /// <summary>One message of an APPEND: a literal, or the parts CATENATE puts together.</summary>
    sealed record AppendedMessage(MessageFlags Flags, List<string> Keywords, DateTimeOffset? InternalDate, ImapString? Content, List<CatenatePart>? Parts);

    /// <summary>APPEND with one message, or several (MULTIAPPEND, RFC 3502: all of them or none).</summary>
    async Task<string?> AppendAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 2, int.MaxValue);
        var name = MailboxName(command.Arguments[0]);
        var messages = ParseAppendedMessages(command.Arguments);
        var mailbox = (await TreeAsync(cancellationToken, name)).Find(name) ?? throw No("Mailbox does not exist", "TRYCREATE");
        Demand(mailbox, FolderAction.Insert, "append to this mailbox", absentCode: "TRYCREATE");

        var staged = new List<Blobs.StagedBlob>();
        try
        {
            var batch = new List<(Blobs.StagedBlob, AppendRequest)>();
            foreach (var message in messages)
            {
                // the literal's octets as they arrived (or the catenated message), read once for fields, structure and blob
                await using var catenated = message.Parts is { } parts ? await CatenateAsync(parts, cancellationToken) : null;
                using var content = catenated is not null ? await MessageContent.ReadAsync(catenated, cancellationToken) : MessageContent.Of(message.Content!.Content.Memory);
                if (content.Length == 0)
                    throw No("An empty message cannot be appended");
                var extraction = MessageFields.Extract(content, MessageStructure.Describe);
                await using (var octets = content.OpenRead())
                    staged.Add(await Store.StageAsync(octets, cancellationToken));
                var blob = staged[^1];
                // flags the user may not set are left off by the store (RFC 4314 §4)
                batch.Add((blob, new AppendRequest
                {
                    Flags = message.Flags,
                    Keywords = message.Keywords,
                    ReceivedAt = message.InternalDate,
                    Fields = extraction.Fields,
                    Structure = extraction.Structure,
                }));
            }
            var results = await Store.AppendManyAsync(mailbox.Folder.Id, batch, cancellationToken);
            completionCode = $"APPENDUID {results[0].UidValidity} {UidSet(results.Select(r => r.Uid))}";
        }
        finally
        {
            foreach (var blob in staged)
                blob.Dispose();
        }
        return "completed";
    }

    List<AppendedMessage> ParseAppendedMessages(IReadOnlyList<ImapArgument> arguments)
    {
        var messages = new List<AppendedMessage>();
        var position = 1;
        while (position < arguments.Count)
        {
            var flags = MessageFlags.None;
            List<string> keywords = [];
            DateTimeOffset? internalDate = null;
            if (arguments[position] is ImapList flagList && flagList.Items.All(i => i is ImapAtom))
            {
                (flags, keywords) = ParseFlags(flagList.Items);
                position++;
            }
            if (position < arguments.Count && arguments[position] is ImapString { IsLiteral: false } date)
            {
                internalDate = TryParseDateTime(date.Text, out var parsed) ? parsed : throw Bad("Invalid date-time");
                position++;
            }
            ImapString? content = null;
            List<CatenatePart>? parts = null;
            if (position + 1 < arguments.Count && arguments[position] is ImapAtom catenate && catenate.Is("CATENATE")
                && arguments[position + 1] is ImapList catList)
            {
                parts = ParseCatenateParts(catList);
                position += 2;
            }
            else if (position < arguments.Count && arguments[position] is ImapString { IsLiteral: true } literal)
            {
                content = literal;
                position++;
            }
            else if (position + 1 < arguments.Count && arguments[position] is ImapAtom utf8 && utf8.Is("UTF8")
                && arguments[position + 1] is ImapList { Items: [ImapString { IsLiteral: true } wrapped] })
            {
                // RFC 6855: UTF8 (~{n}) carries a message with UTF-8 headers
                if (!writer.Utf8)
                    throw Bad("APPEND UTF8 needs ENABLE UTF8=ACCEPT");
                content = wrapped;
                position += 2;
            }
            else
                throw Bad("APPEND needs each message as a literal");
            if (content is { Content.Length: 0 })
                throw No("An empty message cannot be appended");
            messages.Add(new AppendedMessage(flags, keywords, internalDate, content, parts));
        }
        if (messages.Count == 0)
            throw Bad("APPEND needs a message");
        return messages;
    }

    /// <summary>date-time: "dd-Mon-yyyy hh:mm:ss +zzzz", the day possibly space-padded.</summary>
    static bool TryParseDateTime(string text, out DateTimeOffset value)
    {
        value = default;
        var trimmed = text.TrimStart();
        return DateTimeOffset.TryParseExact(trimmed, ["d-MMM-yyyy HH:mm:ss zzz", "dd-MMM-yyyy HH:mm:ss zzz"], CultureInfo.InvariantCulture, DateTimeStyles.None, out value)
            || DateTimeOffset.TryParseExact(InsertColon(trimmed), ["d-MMM-yyyy HH:mm:ss zzz", "dd-MMM-yyyy HH:mm:ss zzz"], CultureInfo.InvariantCulture, DateTimeStyles.None, out value);

        // .NET's zzz wants +hh:mm; IMAP writes +hhmm
        static string InsertColon(string s) => s.Length > 5 && (s[^5] == '+' || s[^5] == '-') ? s[..^2] + ":" + s[^2..] : s;
    }

    static string FormatDateTime(DateTimeOffset value) =>
        value.ToString("dd-MMM-yyyy HH:mm:ss ", CultureInfo.InvariantCulture) + value.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal);
}
