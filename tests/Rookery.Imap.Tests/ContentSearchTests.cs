using System.Text;
using MimeKit;
using Rookery.Imap.Tests.Mime;
using Rookery.Store;
using Rookery.Testing;

namespace Rookery.Imap.Tests;

/// <summary>
/// SEARCH BODY and TEXT look at a message's octets before parsing it, and parse only those that may match.
/// That must never change an answer: over the hundred real messages of the dovecot corpus and some made to
/// hide a string from such a look (base64, quoted-printable soft breaks, a folded header, an encoded word, a
/// dotless i), every answer is the one parsing every message gives.
/// </summary>
public sealed class ContentSearchTests : IAsyncLifetime
{
    ImapHarness harness = null!;
    readonly List<byte[]> messages = [];

    public async Task InitializeAsync()
    {
        harness = await ImapHarness.CreateAsync();
        messages.AddRange(ConformanceCorpusTests.CorpusMessages());
        messages.AddRange(new[]
        {
            "Subject: hidden\r\nContent-Transfer-Encoding: base64\r\n\r\n" + Convert.ToBase64String(Encoding.ASCII.GetBytes("the secret needle is here\r\n")) + "\r\n",
            "Subject: soft\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nthe secret nee=\r\ndle again\r\n",
            "Subject: a folded\r\n needle subject\r\n\r\nnothing here\r\n",
            "Subject: =?utf-8?q?encoded_needle?=\r\n\r\nnothing here\r\n",
            "Subject: turkish\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsome NEEDL\u0131 text\r\n",
            "Subject: cr\r\nX-Note: spl\rit word\r\n\r\nbody\r\n",
            "Subject: ascii\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\ncaf\u00e9 au lait\r\n",
        }.Select(Encoding.UTF8.GetBytes));
        // UTF-16 with a byte order mark and no charset: every ASCII letter has a NUL beside it
        messages.Add([.. Encoding.ASCII.GetBytes("Subject: wide\r\n\r\n"), .. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("a sixteen needle\r\n")]);
        var inbox = await harness.FolderAsync("alice");
        foreach (var content in messages)
            await harness.AppendAsync(inbox.Id, content);
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    /// <summary>What Evaluate decides when it parses every message: the oracle.</summary>
    static bool Matches(byte[] content, string needle, bool bodyOnly)
    {
        MimeMessage message;
        try
        {
            message = MimeMessage.Load(new MemoryStream(content));
        }
        catch (FormatException)
        {
            return false;
        }
        if (!bodyOnly && message.Headers.Any(h => h.Value.Contains(needle, StringComparison.OrdinalIgnoreCase)))
            return true;
        return message.BodyParts.OfType<TextPart>().Any(p => p.Text?.Contains(needle, StringComparison.OrdinalIgnoreCase) == true);
    }

    [Fact]
    public async Task BODY_and_TEXT_answer_as_if_every_message_were_parsed()
    {
        // words from the decoded text of some messages (found in base64 and quoted-printable parts too), and
        // strings that sit in headers, boundaries and attachments only
        var needles = new List<string> { "needle", "secret needle", "folded needle", "encoded needle", "needli", "split", "caf?", "sixteen needle", "Content-Type", "boundary", "dovecot", "Timo", "=?", "zzzznothing" };
        for (var i = 0; i < messages.Count; i += 9)
        {
            try
            {
                var text = MimeMessage.Load(new MemoryStream(messages[i])).BodyParts.OfType<TextPart>().FirstOrDefault()?.Text ?? "";
                var words = text.Split([' ', '\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length >= 6 && w.All(char.IsAsciiLetter)).ToList();
                if (words.Count > 0)
                    needles.Add(words[words.Count / 2]);
            }
            catch (FormatException)
            {
            }
        }
        var script = new StringBuilder("S: * OK *\nC: a LOGIN alice pw\nS: a OK *\nC: b EXAMINE INBOX\nS: …\nS: …\nS: …\nS: …\nS: …\nS: …\nS: …\nS: b OK [READ-ONLY] EXAMINE completed\n");
        var found = 0;
        var tag = 0;
        foreach (var needle in needles.Distinct())
        {
            foreach (var bodyOnly in new[] { true, false })
            {
                var expected = Enumerable.Range(0, messages.Count).Where(i => Matches(messages[i], needle, bodyOnly)).Select(i => i + 1).ToList();
                found += expected.Count;
                tag++;
                script.Append($"C: s{tag} UID SEARCH {(bodyOnly ? "BODY" : "TEXT")} \"{needle}\"\n");
                script.Append($"S: * SEARCH{string.Concat(expected.Select(u => $" {u}"))}\n");
                script.Append($"S: s{tag} OK UID SEARCH completed\n");
            }
        }
        Assert.True(found > 40, $"the needles found only {found} messages: the test would not show much");
        await Transcript.RunAsync(harness.Session(), script.ToString(), Encoding.UTF8);
    }
}
