using MimeKit;
using MimeKit.Utils;

namespace Rookery.Store;

/// <summary>
/// Extracts the fields the store indexes from a message's header, once, at ingest. A header
/// MimeKit cannot parse still yields a result: the raw message is the truth and is stored
/// whole; only the extracted fields are then empty.
/// </summary>
public static class MessageFields
{
    /// <param name="Headers">The parsed header, for other checks at ingest; null when it could not be parsed.</param>
    public sealed record Extraction(ItemFields Fields, HeaderList? Headers, string? Problem)
    {
        public bool Parsed => Headers is not null;

        /// <summary>The structure description (<see cref="IStructureDescriber"/>) when the caller made one.</summary>
        public byte[]? Structure { get; init; }
    }

    /// <summary>
    /// The fields of a message on its way in and, with <paramref name="describe"/> (<see cref="IStructureDescriber.Describe"/>),
    /// its structure description, both from the one copy of its octets that is then staged (<see cref="MessageContent.OpenRead"/>).
    /// </summary>
    public static Extraction Extract(MessageContent content, Func<ReadOnlyMemory<byte>, byte[]?>? describe = null)
    {
        HeaderList headers;
        Extraction extraction;
        try
        {
            using var stream = content.OpenRead();
            headers = HeaderList.Load(ParserOptions.Default, stream);
            extraction = new Extraction(FromHeaders(headers), headers, null);
        }
        catch (FormatException e)
        {
            extraction = new Extraction(new ItemFields(), null, e.Message);
        }
        return describe is null ? extraction : extraction with { Structure = describe(content.Memory) };
    }

    /// <summary>The fields of the rest of <paramref name="content"/> (<see cref="Extract"/>).</summary>
    public static async Task<Extraction> ExtractAsync(Stream content, CancellationToken cancellationToken = default)
    {
        using var message = await MessageContent.ReadAsync(content, cancellationToken);
        return Extract(message);
    }

    public static ItemFields FromHeaders(HeaderList headers) => new()
    {
        Subject = Decoded(headers, HeaderId.Subject),
        From = Addresses(headers, HeaderId.From),
        To = Addresses(headers, HeaderId.To),
        Cc = Addresses(headers, HeaderId.Cc),
        MessageId = MessageIdOf(headers),
        SentAt = headers[HeaderId.Date] is { } date && DateUtils.TryParse(date, out var sent) ? sent : null,
    };

    static string Decoded(HeaderList headers, HeaderId id)
    {
        var header = headers.FirstOrDefault(h => h.Id == id);
        return header is null ? "" : Rfc2047.DecodeText(header.RawValue).Trim();
    }

    static string Addresses(HeaderList headers, HeaderId id)
    {
        var header = headers.FirstOrDefault(h => h.Id == id);
        if (header is null)
            return "";
        return InternetAddressList.TryParse(ParserOptions.Default, header.RawValue, out var list)
            ? list.ToString(FormatOptions.Default, encode: false)
            : Rfc2047.DecodeText(header.RawValue).Trim();
    }

    static string MessageIdOf(HeaderList headers)
    {
        var value = headers[HeaderId.MessageId];
        if (string.IsNullOrWhiteSpace(value))
            return "";
        var parsed = MimeUtils.ParseMessageId(value);
        return parsed is null ? value.Trim() : "<" + parsed + ">";
    }
}
