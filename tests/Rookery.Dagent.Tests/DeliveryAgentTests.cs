using System.Text;
using Rookery.Dagent;
using Rookery.Store;
using Rookery.Store.Sql;
using Rookery.Store.Tests;

namespace Rookery.Dagent.Tests;

public sealed class DeliveryAgentTests : IAsyncLifetime
{
    DeliveryHarness harness = null!;
    SqlMailStore store = null!;
    DeliveryAgent agent = null!;
    TestDatabase test = null!;

    public async Task InitializeAsync()
    {
        harness = await DeliveryHarness.CreateAsync();
        (store, agent, test) = (harness.Store, harness.Agent, harness.Test);
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    Task<IReadOnlyList<ItemInfo>> ItemsOf(string login, SpecialUse use = SpecialUse.Inbox) => harness.ItemsOf(login, use);

    static MemoryStream Message(string headers, string body = "Hello.\r\n") => new(Encoding.UTF8.GetBytes(headers + "\r\n" + body));

    [Fact]
    public async Task Each_recipient_gets_its_own_outcome_and_the_message_is_stored_once()
    {
        // fill "full" to 50 bytes below its 1 MiB hard quota (62 bytes of trace headers + 16 header bytes + body)
        var filled = await agent.DeliverAsync("x@example.net", ["full@example.com"], Message("Subject: big\r\n", new string('x', 1_048_448)));
        Assert.Equal(1024 * 1024 - 50, (await ItemsOf("full")).Single().Size);
        Assert.Equal(DeliveryStatus.Delivered, filled[0].Status);

        var results = await agent.DeliverAsync("sender@example.net",
            ["alice@example.com", "nobody@example.com", "full@example.com", "A.Liddell@EXAMPLE.com", "bob@example.com"],
            Message("From: sender@example.net\r\nSubject: Meeting\r\nMessage-ID: <m1@example.net>\r\n"));

        Assert.Equal(
            [DeliveryStatus.Delivered, DeliveryStatus.UnknownRecipient, DeliveryStatus.OverQuota, DeliveryStatus.Delivered, DeliveryStatus.Delivered],
            results.Select(r => r.Status));
        Assert.Equal(2, (await ItemsOf("alice")).Count); // primary address and alias
        var bobs = Assert.Single(await ItemsOf("bob"));
        Assert.Equal("Meeting", bobs.Fields.Subject);
        Assert.Equal("<m1@example.net>", bobs.Fields.MessageId);
        Assert.Single(await ItemsOf("full")); // only the first, big one
        Assert.Equal(2, test.CreateBlobs().Files.EnumerateIds().Count()); // the big one, and the meeting once for three deliveries

        // each copy still says whom it was delivered to
        var alices = await ItemsOf("alice");
        Assert.Equal(["Delivered-To: alice@example.com", "Delivered-To: A.Liddell@EXAMPLE.com"],
            await Task.WhenAll(alices.OrderBy(i => i.Uid).Select(async i => Encoding.UTF8.GetString(await store.ReadAllAsync(i)).Split("\r\n")[1])));
        Assert.StartsWith("Return-Path: <sender@example.net>\r\nDelivered-To: bob@example.com\r\nFrom: sender@example.net\r\n",
            Encoding.UTF8.GetString(await store.ReadAllAsync(bobs)));
        Assert.Equal(alices[0].BlobId, bobs.BlobId);
    }

    [Fact]
    public async Task The_stored_message_is_the_received_one_with_return_path_and_delivered_to_in_front()
    {
        var raw = "From: sender@example.net\r\nSubject: exact\r\n\r\n..not unstuffed here\r\nline two\r\n";
        await agent.DeliverAsync("sender@example.net", ["bob@example.com"], new MemoryStream(Encoding.UTF8.GetBytes(raw)));
        var item = Assert.Single(await ItemsOf("bob"));
        Assert.Equal("Return-Path: <sender@example.net>\r\nDelivered-To: bob@example.com\r\n" + raw, Encoding.UTF8.GetString(await store.ReadAllAsync(item)));
    }

    /// <summary>Records what it was asked to describe.</summary>
    sealed class RecordingDescriber : IStructureDescriber
    {
        public List<string> Described { get; } = [];

        public byte[]? Describe(ReadOnlyMemory<byte> message)
        {
            Described.Add(Encoding.UTF8.GetString(message.Span));
            return [1, (byte)Described.Count];
        }
    }

    [Fact]
    public async Task The_structure_is_described_once_for_all_recipients_from_the_content_without_trace_headers()
    {
        var describer = new RecordingDescriber();
        var raw = "From: sender@example.net\r\nSubject: described\r\n\r\nbody\r\n";
        var stream = new MemoryStream();
        stream.Write(Encoding.UTF8.GetBytes("ignored prefix"));
        var start = stream.Position;
        stream.Write(Encoding.UTF8.GetBytes(raw));
        stream.Position = start;
        await harness.CreateAgent(new DeliveryOptions { Structure = describer }).DeliverAsync("sender@example.net", ["alice@example.com", "bob@example.com"], stream);

        Assert.Equal([raw], describer.Described);
        var alice = Assert.Single(await ItemsOf("alice"));
        Assert.Equal(raw, Encoding.UTF8.GetString(await store.ReadAllAsync(alice))[alice.TraceHeaders.Length..]);
        Assert.Equal([1, 1], (await store.GetStructuresAsync([alice]))[alice.BlobId]);
    }

    [Fact]
    public async Task Spam_goes_to_junk_e_mail()
    {
        var results = await agent.DeliverAsync("spammer@example.net", ["bob@example.com"],
            Message("Subject: cheap\r\nX-Spam-Status: Yes, score=12.3 required=5.0\r\n"));
        Assert.Equal(SpecialUse.Junk, results[0].Folder);
        Assert.Single(await ItemsOf("bob", SpecialUse.Junk));
        Assert.Empty(await ItemsOf("bob"));

        await agent.DeliverAsync("friend@example.net", ["bob@example.com"], Message("Subject: hi\r\nX-Spam-Status: No, score=0.1\r\n"));
        Assert.Single(await ItemsOf("bob"));
    }

    [Fact]
    public async Task Non_active_accounts_still_receive()
    {
        var results = await agent.DeliverAsync("", ["shared@example.com"], Message("Subject: to the team\r\n"));
        Assert.Equal(DeliveryStatus.Delivered, results[0].Status);
        Assert.Single(await ItemsOf("shared"));
    }

    [Fact]
    public async Task A_message_with_a_broken_header_is_delivered_intact()
    {
        var raw = "Subject: =?utf-8?q?unterminated\r\nFrom: <<<>>>\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n\u00ff\u00fe binary\r\n";
        var results = await agent.DeliverAsync("x@example.net", ["bob@example.com"], new MemoryStream(Encoding.Latin1.GetBytes(raw)));
        Assert.Equal(DeliveryStatus.Delivered, results[0].Status);
        var item = Assert.Single(await ItemsOf("bob"));
        Assert.Equal(Encoding.Latin1.GetBytes("Return-Path: <x@example.net>\r\nDelivered-To: bob@example.com\r\n" + raw), await store.ReadAllAsync(item));
    }
}
