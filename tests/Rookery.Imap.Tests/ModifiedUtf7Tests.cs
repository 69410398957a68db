using Rookery.Imap.Protocol;

namespace Rookery.Imap.Tests;

public sealed class ModifiedUtf7Tests
{
    [Theory]
    [InlineData("INBOX", "INBOX")]
    [InlineData("Tom & Jerry", "Tom &- Jerry")]
    [InlineData("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-")] // RFC 3501's example
    [InlineData("Gelöschte Elemente", "Gel&APY-schte Elemente")]
    [InlineData("Boîte de réception", "Bo&AO4-te de r&AOk-ception")]
    [InlineData("emoji 📬", "emoji &2D3c7A-")]
    public void Names_round_trip(string name, string encoded)
    {
        Assert.Equal(encoded, ModifiedUtf7.Encode(name));
        Assert.True(ModifiedUtf7.TryDecode(encoded, out var decoded));
        Assert.Equal(name, decoded);
    }

    [Theory]
    [InlineData("&")] // unterminated shift
    [InlineData("&AGE")] // unterminated shift
    [InlineData("&AGE-")] // "a" must be written directly
    [InlineData("&ZeVnLIqe-&U,BTFw-")] // two shifts in a row must be one
    [InlineData("&U,BTFw")] // no terminating '-'
    [InlineData("&U,BTFx-")] // non-zero padding bits
    [InlineData("&2D0-")] // lone high surrogate
    [InlineData("&AB-")] // too short for a character
    [InlineData("caf\u00e9")] // 8-bit octet in a UTF-7 name
    [InlineData("a&A/Y-b")] // '/' is not in the modified alphabet
    public void Invalid_names_are_refused(string encoded)
    {
        Assert.False(ModifiedUtf7.TryDecode(encoded, out _));
    }
}
