using System.Buffers;
using System.Globalization;
using System.Text;

namespace Rookery.Dagent.Socketmap;

/// <summary>What <see cref="SocketmapProtocol.TryParse"/> found at the start of the buffer.</summary>
public enum SocketmapParse
{
    /// <summary>The request is not complete yet; nothing was consumed.</summary>
    NeedMoreData,
    Request,
    /// <summary>Not a netstring, or over the length limit: the connection is closed (there is no way to resynchronise).</summary>
    Malformed,
}

/// <summary>One lookup: the map's name and the key, as Postfix sends them ("name key").</summary>
public sealed record SocketmapRequest(string Map, string Key);

/// <summary>The five answers of socketmap_table(5).</summary>
public enum SocketmapStatus { Ok, NotFound, Temp, Timeout, Perm }

/// <summary>A reply: OK with the value, NOTFOUND, or TEMP/TIMEOUT/PERM with a reason.</summary>
public sealed record SocketmapReply(SocketmapStatus Status, string Text = "")
{
    public static SocketmapReply NotFound { get; } = new(SocketmapStatus.NotFound);

    public static SocketmapReply Ok(string value) => new(SocketmapStatus.Ok, value);

    /// <summary>The payload of the reply netstring, e.g. "OK alice@example.com" or "NOTFOUND ".</summary>
    public string Payload => Status switch
    {
        SocketmapStatus.Ok => "OK " + Text,
        SocketmapStatus.NotFound => "NOTFOUND ",
        SocketmapStatus.Temp => "TEMP " + Text,
        SocketmapStatus.Timeout => "TIMEOUT " + Text,
        _ => "PERM " + Text,
    };
}

/// <summary>
/// Postfix's socketmap protocol (socketmap_table(5)): every request and reply is a netstring
/// (<c>LENGTH:DATA,</c>, the length in decimal). Bytes in, requests out; no IO.
/// </summary>
public static class SocketmapProtocol
{
    /// <summary>Postfix's own limit on a reply (socketmap_max_reply_size); a longer one it refuses.</summary>
    public const int MaxReplyLength = 100_000;

    /// <summary>Reads one request netstring of at most <paramref name="maxLength"/> octets.</summary>
    /// <param name="problem">Why the input is malformed, for the log.</param>
    public static SocketmapParse TryParse(ref SequenceReader<byte> reader, int maxLength, out SocketmapRequest? request, out string? problem)
    {
        request = null;
        problem = null;
        var start = reader.Consumed;
        long length = 0;
        var digits = 0;
        while (true)
        {
            if (!reader.TryRead(out var b))
            {
                reader.Rewind(reader.Consumed - start);
                return SocketmapParse.NeedMoreData;
            }
            if (b == ':')
                break;
            if (b is < (byte)'0' or > (byte)'9')
                return Malformed(out problem, $"netstring length contains 0x{b:x2}");
            if (digits == 1 && length == 0)
                return Malformed(out problem, "netstring length has a leading zero");
            length = length * 10 + (b - '0');
            digits++;
            if (length > maxLength)
                return Malformed(out problem, $"request longer than {maxLength} octets");
        }
        if (digits == 0)
            return Malformed(out problem, "netstring without a length");
        if (reader.Remaining < length + 1)
        {
            reader.Rewind(reader.Consumed - start);
            return SocketmapParse.NeedMoreData;
        }
        var payload = reader.UnreadSequence.Slice(0, length);
        reader.Advance(length);
        reader.TryRead(out var comma);
        if (comma != ',')
            return Malformed(out problem, "netstring not terminated by ','");
        string text;
        try
        {
            text = Strict.GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return Malformed(out problem, "request is not UTF-8");
        }
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
            return Malformed(out problem, "request is not 'name key'");
        request = new SocketmapRequest(text[..space], text[(space + 1)..]);
        return SocketmapParse.Request;
    }

    static SocketmapParse Malformed(out string? problem, string why)
    {
        problem = why;
        return SocketmapParse.Malformed;
    }

    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The reply as a netstring; a value longer than Postfix accepts becomes a PERM.</summary>
    public static byte[] Encode(SocketmapReply reply)
    {
        var payload = Encoding.UTF8.GetBytes(reply.Payload);
        if (payload.Length > MaxReplyLength)
            payload = Encoding.UTF8.GetBytes(new SocketmapReply(SocketmapStatus.Perm, "reply too long for Postfix").Payload);
        return Netstring(payload);
    }

    /// <summary><c>LENGTH:DATA,</c></summary>
    public static byte[] Netstring(ReadOnlySpan<byte> payload) =>
        [.. Encoding.ASCII.GetBytes(payload.Length.ToString(CultureInfo.InvariantCulture) + ":"), .. payload, (byte)','];
}
