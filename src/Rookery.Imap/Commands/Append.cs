using System.Globalization;
using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>APPEND (RFC 9051 §6.3.12) with UIDPLUS's APPENDUID.</summary>
public sealed partial class ImapSession
{
    async Task<string?> AppendAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 2, 5);
        var arguments = command.Arguments;
        // RFC 6855: UTF8 (~{n}) carries a message with UTF-8 headers
        if (arguments.Count >= 3 && arguments[^2] is ImapAtom utf8 && utf8.Is("UTF8") && arguments[^1] is ImapList { Items: [ImapString { IsLiteral: true } wrapped] })
        {
            if (!writer.Utf8)
                throw Bad("APPEND UTF8 needs ENABLE UTF8=ACCEPT");
            arguments = [.. arguments.Take(arguments.Count - 2), wrapped];
        }
        var name = MailboxName(arguments[0]);
        var flags = MessageFlags.None;
        List<string> keywords = [];
        DateTimeOffset? internalDate = null;
        var next = 1;
        if (arguments[next] is ImapList flagList)
        {
            (flags, keywords) = ParseFlags(flagList.Items);
            next++;
        }
        if (next < arguments.Count - 1)
        {
            internalDate = arguments[next] is ImapString { IsLiteral: false } date && TryParseDateTime(date.Text, out var parsed)
                ? parsed : throw Bad("Invalid date-time");
            next++;
        }
        if (next != arguments.Count - 1 || arguments[next] is not ImapString { IsLiteral: true } message)
            throw Bad("APPEND needs the message as a literal");
        if (message.Content.Length == 0)
            throw No("An empty message cannot be appended");

        var mailbox = (await TreeAsync(cancellationToken)).Find(name) ?? throw No("Mailbox does not exist", "TRYCREATE");
        await using var content = message.Content.OpenRead();
        var extraction = await MessageFields.ExtractAsync(content, cancellationToken);
        content.Position = 0;
        using var staged = await Store.StageAsync(content, cancellationToken);
        var result = await Store.AppendAsync(mailbox.Folder.Id, staged, new AppendRequest
        {
            Flags = flags,
            Keywords = keywords,
            ReceivedAt = internalDate,
            Fields = extraction.Fields,
        }, cancellationToken);
        completionCode = $"APPENDUID {result.UidValidity} {result.Uid}";
        return "completed";
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
