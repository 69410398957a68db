using System.Text;
using Rookery.Dagent;
using Rookery.Directory;
using Rookery.Imap.Mime;
using Rookery.Imap.Tests.Mime;
using Rookery.Store;
using Rookery.Testing;

namespace Rookery.Imap.Tests;

/// <summary>
/// FETCH ENVELOPE, BODY and BODYSTRUCTURE answer from the structure described when the message entered the
/// store, without reading the message; content stored before that is parsed once and described then.
/// </summary>
public sealed class StructureCacheTests : IAsyncLifetime
{
    ImapHarness harness = null!;

    public async Task InitializeAsync() => harness = await ImapHarness.CreateAsync();

    public async Task DisposeAsync() => await harness.DisposeAsync();

    Task Run(string script) => Transcript.RunAsync(harness.Session(), script, Encoding.UTF8);

    const string Sender = "sender@example.net";

    /// <summary>Logs alice in and examines her inbox, whatever its untagged responses (seven in IMAP4rev1).</summary>
    const string Examine = """
        S: * OK *
        C: a LOGIN alice pw
        S: a OK *
        C: s EXAMINE inbox
        S: *
        S: *
        S: *
        S: *
        S: *
        S: *
        S: *
        S: s OK [READ-ONLY] *
        """;

    const string Multipart =
        "From: Sender <sender@example.net>\r\nTo: alice@example.com\r\nSubject: report\r\nDate: Mon, 02 Mar 2026 10:00:00 +0100\r\n"
        + "Message-ID: <m1@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
        + "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n"
        + "--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@example.org\r\nSubject: inner\r\n\r\ninner body\r\n"
        + "--b\r\nContent-Type: application/pdf; name=r.pdf\r\nContent-Disposition: attachment; filename=r.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
        + "--b--\r\n";

    /// <summary>Delivers through the delivery agent, as LMTP does: one staged content, a description, trace headers per copy.</summary>
    async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(string message, params string[] recipients)
    {
        var agent = new DeliveryAgent(harness.Store, new DbUserDirectory(harness.Repository), harness.Users,
            new DeliveryOptions { Structure = new MimeStructureDescriber() });
        return await agent.DeliverAsync(Sender, recipients, new MemoryStream(Encoding.UTF8.GetBytes(message)));
    }

    /// <summary>What FETCH sent before descriptions were kept: the copy as stored (trace headers and content), parsed.</summary>
    static MessageStructure AsStored(string message, string recipient, bool messageGlobal = false) =>
        MessageStructure.Parse((byte[])[.. DeliveryAgent.TraceHeaders(Sender, recipient), .. Encoding.UTF8.GetBytes(message)], messageGlobal);

    void DeleteAllContent()
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(harness.Test.BlobPath, "*", SearchOption.AllDirectories))
            File.Delete(file);
    }

    async Task<ItemInfo> OnlyItemAsync(string login) => Assert.Single(await harness.Store.ListItemsAsync((await harness.FolderAsync(login)).Id));

    [Fact]
    public async Task Fetch_envelope_body_and_bodystructure_of_a_delivered_message_do_not_read_its_content()
    {
        var results = await DeliverAsync(Multipart, "alice@example.com");
        Assert.Equal(DeliveryStatus.Delivered, Assert.Single(results).Status);
        var expected = AsStored(Multipart, "alice@example.com");
        DeleteAllContent();

        await Run($$"""
            {{Examine}}
            C: f1 FETCH 1 (ENVELOPE BODYSTRUCTURE)
            S: * 1 FETCH (ENVELOPE {{Fetch.Envelope(expected)}} BODYSTRUCTURE {{Fetch.BodyStructure(expected)}})
            S: f1 OK FETCH completed
            C: f2 UID FETCH 1:* (FLAGS BODY RFC822.SIZE)
            S: * 1 FETCH (UID 1 FLAGS (\Recent) BODY {{Fetch.Body(expected)}} RFC822.SIZE {{expected.Message.Length}})
            S: f2 OK UID FETCH completed
            C: f3 FETCH 1 BODY.PEEK[]
            S: f3 NO [UNAVAILABLE] The message content cannot be read
            C: f4 FETCH 1 (ENVELOPE)
            S: * 1 FETCH (ENVELOPE {{Fetch.Envelope(expected)}})
            S: f4 OK FETCH completed
            """);
    }

    [Fact]
    public async Task One_content_delivered_to_many_keeps_one_description_that_every_copy_answers_from()
    {
        await DeliverAsync(Multipart, "alice@example.com", "bob@example.com");
        var alice = await OnlyItemAsync("alice");
        var bob = await OnlyItemAsync("bob");
        Assert.Equal(alice.BlobId, bob.BlobId);
        Assert.NotEqual(alice.TraceHeaders.ToArray(), bob.TraceHeaders.ToArray());

        var described = await harness.Store.GetStructuresAsync([alice, bob]);
        Assert.Single(described);
        var structure = MessageStructure.FromDescription(described[alice.BlobId])!;
        Assert.False(structure.HasContent);
        Assert.Equal(Fetch.BodyStructure(AsStored(Multipart, "bob@example.com")), Fetch.Render(w => structure.WriteBodyStructure(w, extensible: true)));
    }

    [Fact]
    public async Task A_message_stored_without_a_description_is_parsed_on_first_fetch_and_described_for_the_next()
    {
        // as before the migration: the store has the content and no description of it
        var message = Multipart.Replace("alice@example.com", "alice@example.com (old)", StringComparison.Ordinal);
        await harness.DeliverRawAsync("alice", message);
        var item = await OnlyItemAsync("alice");
        Assert.Empty(await harness.Store.GetStructuresAsync([item]));
        var expected = MessageStructure.Parse(Encoding.UTF8.GetBytes(message));

        var fetch = $$"""
            C: f FETCH 1 (BODYSTRUCTURE ENVELOPE)
            S: * 1 FETCH (BODYSTRUCTURE {{Fetch.BodyStructure(expected)}} ENVELOPE {{Fetch.Envelope(expected)}})
            S: f OK FETCH completed
            """;
        await Run(Examine + "\n" + fetch);
        Assert.Contains(item.BlobId, await harness.Store.GetStructuresAsync([item]));

        DeleteAllContent();
        await Run(Examine + "\n" + fetch);
    }

    [Fact]
    public async Task A_description_of_another_format_is_not_read_but_replaced()
    {
        await DeliverAsync(Multipart, "alice@example.com");
        var item = await OnlyItemAsync("alice");
        await harness.Store.SaveStructureAsync(item, [0xff, 1, 2, 3]);
        var expected = AsStored(Multipart, "alice@example.com");

        await Run($$"""
            {{Examine}}
            C: f FETCH 1 BODYSTRUCTURE
            S: * 1 FETCH (BODYSTRUCTURE {{Fetch.BodyStructure(expected)}})
            S: f OK FETCH completed
            """);

        var kept = (await harness.Store.GetStructuresAsync([item]))[item.BlobId];
        Assert.Equal(1, kept[0]);
        Assert.NotNull(MessageStructure.FromDescription(kept));
    }

    [Fact]
    public async Task A_message_mimekit_cannot_parse_is_stored_and_fetch_answers_as_before()
    {
        // a header MimeKit refuses; the IMAP parser reads anything
        const string broken = "\0\0\0\r\n: no name\r\nSubject: s\r\n\r\nbody\r\n";
        Assert.False((await MessageFields.ExtractAsync(new MemoryStream(Encoding.UTF8.GetBytes(broken)))).Parsed);
        Assert.Equal(DeliveryStatus.Delivered, Assert.Single(await DeliverAsync(broken, "alice@example.com")).Status);
        var expected = AsStored(broken, "alice@example.com");
        DeleteAllContent();

        await Run($$"""
            {{Examine}}
            C: f FETCH 1 (ENVELOPE BODYSTRUCTURE)
            S: * 1 FETCH (ENVELOPE {{Fetch.Envelope(expected)}} BODYSTRUCTURE {{Fetch.BodyStructure(expected)}})
            S: f OK FETCH completed
            """);
    }

    [Fact]
    public async Task Message_global_parts_are_described_for_imap4rev1_and_imap4rev2_sessions_alike()
    {
        const string message = "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + "--b\r\nContent-Type: message/global\r\n\r\nFrom: J\u00fcrgen <jm@example.de>\r\nSubject: Gr\u00fc\u00dfe\r\n\r\nHallo\r\n--b--\r\n";
        await DeliverAsync(message, "alice@example.com");
        var imap4rev1 = AsStored(message, "alice@example.com");
        var imap4rev2 = AsStored(message, "alice@example.com", messageGlobal: true);
        Assert.NotEqual(Fetch.BodyStructure(imap4rev1), Fetch.BodyStructure(imap4rev2));
        DeleteAllContent();

        const string login = """
            S: * OK *
            C: a LOGIN alice pw
            S: a OK *
            """;
        await Run(login + $$"""

            C: s EXAMINE inbox
            S: *
            S: *
            S: *
            S: *
            S: *
            S: *
            S: *
            S: s OK *
            C: f FETCH 1 BODYSTRUCTURE
            S: * 1 FETCH (BODYSTRUCTURE {{Fetch.BodyStructure(imap4rev1)}})
            S: f OK FETCH completed
            """);
        await Run(login + $$"""

            C: e ENABLE IMAP4rev2
            S: * ENABLED IMAP4rev2
            S: e OK *
            C: s EXAMINE inbox
            S: *
            S: *
            S: *
            S: *
            S: *
            S: *
            S: s OK *
            C: f FETCH 1 BODYSTRUCTURE
            S: * 1 FETCH (BODYSTRUCTURE {{Fetch.Render(w => imap4rev2.WriteBodyStructure(w, extensible: true), utf8: true, decodeAsUtf8: true)}})
            S: f OK FETCH completed
            """);
    }
}
