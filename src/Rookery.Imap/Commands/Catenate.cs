using System.Globalization;
using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>
/// CATENATE (RFC 4469): an APPEND whose message is put together from literal text and parts of messages
/// already on the server, named by IMAP URLs (RFC 5092) — how a client forwards or re-sends an attachment
/// without downloading and uploading it again.
/// </summary>
public sealed partial class ImapSession
{
    /// <summary>One cat-part: literal text, or the URL of a message or a section of one.</summary>
    sealed record CatenatePart(ImapString? Text, string? Url);

    /// <summary>cat-part *(SP cat-part), each TEXT literal or URL astring; UTF8 (literal8) after ENABLE UTF8=ACCEPT (RFC 6855).</summary>
    List<CatenatePart> ParseCatenateParts(ImapList list)
    {
        var parts = new List<CatenatePart>();
        var items = list.Items;
        for (var i = 0; i < items.Count; i += 2)
        {
            if (items[i] is not ImapAtom kind || i + 1 >= items.Count)
                throw Bad("CATENATE needs TEXT literal or URL url parts");
            if (kind.Is("TEXT") && items[i + 1] is ImapString { IsLiteral: true } text)
                parts.Add(new CatenatePart(text, null));
            else if (kind.Is("UTF8") && items[i + 1] is ImapList { Items: [ImapString { IsLiteral: true } wrapped] })
                parts.Add(writer.Utf8 ? new CatenatePart(wrapped, null) : throw Bad("CATENATE UTF8 needs ENABLE UTF8=ACCEPT"));
            else if (kind.Is("URL"))
                parts.Add(new CatenatePart(null, AString(items[i + 1])));
            else
                throw Bad("CATENATE needs TEXT literal or URL url parts");
        }
        if (parts.Count == 0)
            throw Bad("CATENATE needs at least one part");
        return parts;
    }

    /// <summary>
    /// The message the parts make, in order. A URL that names nothing this user may read fails the whole
    /// APPEND with NO [BADURL "url"] (RFC 4469 §5); a message past the APPEND limit with NO [TOOBIG].
    /// </summary>
    async Task<MemoryStream> CatenateAsync(IReadOnlyList<CatenatePart> parts, CancellationToken cancellationToken)
    {
        var message = new MemoryStream();
        try
        {
            foreach (var part in parts)
            {
                if (part.Text is { } text)
                {
                    await using var literal = text.Content.OpenRead();
                    await literal.CopyToAsync(message, cancellationToken);
                }
                else
                {
                    var content = await ResolveUrlAsync(part.Url!, cancellationToken);
                    message.Write(content.Span);
                }
                if (message.Length > Options.Limits.MaxLiteralSize)
                    throw No("The message is larger than the server accepts", "TOOBIG");
            }
            message.Position = 0;
            return message;
        }
        catch
        {
            await message.DisposeAsync();
            throw;
        }
    }

    /// <summary>The octets an IMAP URL of a message names (the whole message, a section, a partial range of it).</summary>
    async Task<ReadOnlyMemory<byte>> ResolveUrlAsync(string url, CancellationToken cancellationToken)
    {
        var badUrl = No("The URL does not name a message part you may read", $"BADURL {Quote(url)}");
        if (!MessageUrl.TryParse(url, out var target))
            throw badUrl;
        if (target.User is { } owner && !string.Equals(owner, user!.Login, StringComparison.OrdinalIgnoreCase))
            throw badUrl;
        var mailbox = (await TreeAsync(cancellationToken, target.Mailbox)).Find(target.Mailbox);
        if (mailbox is null || !mailbox.Allows(FolderAction.Read)
            || (target.UidValidity is { } validity && validity != mailbox.Folder.UidValidity))
            throw badUrl;
        var item = await Store.GetItemAsync(mailbox.Folder.Id, target.Uid, cancellationToken) ?? throw badUrl;
        var structure = MessageStructure.Parse(await ReadContentAsync(item, cancellationToken));
        ReadOnlyMemory<byte> content;
        if (target.Section.Length == 0)
            content = structure.Message;
        else if (!structure.TryGetSection(target.Section, out content))
            throw badUrl;
        if (target.PartialStart is { } start)
            content = start >= content.Length ? ReadOnlyMemory<byte>.Empty : content.Slice((int)start, (int)Math.Min(target.PartialLength ?? long.MaxValue, content.Length - start));
        return content;
    }

    static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// An IMAP URL naming a message (RFC 5092 §6): relative, "/mailbox[;UIDVALIDITY=v]/;UID=u[/;SECTION=s][/;PARTIAL=o[.l]]",
    /// or absolute with "imap://[user@]host[:port]" before it. Names are percent-encoded UTF-8. URLAUTH
    /// (RFC 4467) is not offered, so a URL carrying ;EXPIRE, ;URLAUTH or an ;AUTH= mechanism other than * does not resolve.
    /// </summary>
    internal sealed record MessageUrl(string? User, string Mailbox, long? UidValidity, long Uid, string Section, long? PartialStart, long? PartialLength)
    {
        public static bool TryParse(string url, out MessageUrl target)
        {
            target = null!;
            string? user = null;
            var path = url;
            if (url.StartsWith("imap://", StringComparison.OrdinalIgnoreCase))
            {
                var slash = url.IndexOf('/', 7);
                if (slash < 0)
                    return false;
                var authority = url[7..slash];
                var at = authority.LastIndexOf('@');
                if (at >= 0)
                {
                    var userInfo = authority[..at];
                    var auth = userInfo.IndexOf(";AUTH=", StringComparison.OrdinalIgnoreCase);
                    if (auth >= 0 && userInfo[(auth + 6)..] != "*")
                        return false;
                    user = Unescape(auth >= 0 ? userInfo[..auth] : userInfo);
                }
                path = url[slash..];
            }
            if (!path.StartsWith('/'))
                return false;
            // "/mailbox;UIDVALIDITY=v" then "/;UID=u", "/;SECTION=s", "/;PARTIAL=o.l"
            var uidAt = path.IndexOf("/;UID=", StringComparison.OrdinalIgnoreCase);
            if (uidAt < 1)
                return false;
            var mailboxPart = path[1..uidAt];
            long? uidValidity = null;
            var validityAt = mailboxPart.IndexOf(";UIDVALIDITY=", StringComparison.OrdinalIgnoreCase);
            if (validityAt >= 0)
            {
                if (!TryNumber(mailboxPart[(validityAt + 13)..], out var v))
                    return false;
                uidValidity = v;
                mailboxPart = mailboxPart[..validityAt];
            }
            if (mailboxPart.Length == 0 || mailboxPart.Contains(';'))
                return false;
            var rest = path[(uidAt + 1)..].Split('/');
            if (!rest[0].StartsWith(";UID=", StringComparison.OrdinalIgnoreCase) || !TryNumber(rest[0][5..], out var uid))
                return false;
            string section = "";
            long? partialStart = null, partialLength = null;
            var next = 1;
            if (next < rest.Length && rest[next].StartsWith(";SECTION=", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    section = NormalizeSection(Unescape(rest[next][9..]));
                }
                catch (CommandException)
                {
                    return false;
                }
                if (section.Length == 0)
                    return false;
                next++;
            }
            if (next < rest.Length && rest[next].StartsWith(";PARTIAL=", StringComparison.OrdinalIgnoreCase))
            {
                var range = rest[next][9..];
                var dot = range.IndexOf('.');
                if (!TryNumber(dot < 0 ? range : range[..dot], out var start, allowZero: true))
                    return false;
                partialStart = start;
                if (dot >= 0)
                {
                    if (!TryNumber(range[(dot + 1)..], out var length))
                        return false;
                    partialLength = length;
                }
                next++;
            }
            if (next != rest.Length)
                return false; // ;EXPIRE=, ;URLAUTH= or anything else
            target = new MessageUrl(user, Unescape(mailboxPart), uidValidity, uid, section, partialStart, partialLength);
            return true;
        }

        static bool TryNumber(string text, out long value, bool allowZero = false) =>
            long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && (allowZero || value > 0) && value <= uint.MaxValue;

        static string Unescape(string text) => Uri.UnescapeDataString(text);
    }
}
