using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Directory;
using Rookery.Store;

namespace Rookery.Dagent;

/// <summary>How one recipient of a delivery fared; the LMTP session turns it into that recipient's reply.</summary>
public enum DeliveryStatus
{
    Delivered,
    /// <summary>No account has this address (550 5.1.1).</summary>
    UnknownRecipient,
    /// <summary>The store is over its hard quota (552 5.2.2).</summary>
    OverQuota,
    /// <summary>Something failed that may work later (451 4.3.0): the sender retries, nothing is lost.</summary>
    TemporaryFailure,
}

/// <summary>A recipient address and the account it belongs to (null: no such user).</summary>
public sealed record Recipient(string Address, UserAccount? Account, bool LookupFailed = false);

public sealed record DeliveryResult(string Recipient, DeliveryStatus Status, string? Detail = null, AppendResult? Stored = null, SpecialUse Folder = SpecialUse.Inbox);

/// <summary>dagent settings: the original's spam_header_name / spam_header_value.</summary>
public sealed record DeliveryOptions
{
    public string SpamHeaderName { get; init; } = "X-Spam-Status";
    /// <summary>A header value starting with this (case-insensitive) marks spam, as kopano-dagent matches it.</summary>
    public string SpamHeaderValue { get; init; } = "Yes";
}

/// <summary>
/// Delivers one message to its recipients: content staged once (one blob for every recipient),
/// fields extracted once, each recipient committed on its own so one full store does not fail
/// the others. A recipient's result is Delivered only after its commit.
/// </summary>
public sealed class DeliveryAgent(IMailStore store, IUserDirectory directory, UserStores userStores, DeliveryOptions options, ILogger<DeliveryAgent>? logger = null)
{
    readonly ILogger log = logger ?? (ILogger)NullLogger.Instance;

    /// <summary>Looks a recipient up before the message is sent (RCPT TO), so unknown ones are refused early.</summary>
    public Task<UserAccount?> ResolveAsync(string address, CancellationToken cancellationToken = default) =>
        directory.FindByAddressAsync(address, cancellationToken);

    /// <summary>Delivers to addresses, looking each up in the directory.</summary>
    public async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(string sender, IReadOnlyList<string> recipients, Stream message, CancellationToken cancellationToken = default)
    {
        var resolved = new List<Recipient>(recipients.Count);
        foreach (var address in recipients)
        {
            try
            {
                resolved.Add(new Recipient(address, await directory.FindByAddressAsync(address, cancellationToken)));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Looking up {Recipient} failed", address);
                resolved.Add(new Recipient(address, null, LookupFailed: true));
            }
        }
        return await DeliverAsync(sender, resolved, message, cancellationToken);
    }

    /// <summary>Delivers to recipients already looked up (the LMTP session resolves them at RCPT TO).</summary>
    /// <param name="sender">The envelope sender (MAIL FROM), empty for the null sender; written as Return-Path.</param>
    /// <param name="message">The message as received, with CRLF line ends.</param>
    public async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(string sender, IReadOnlyList<Recipient> recipients, Stream message, CancellationToken cancellationToken = default)
    {
        // Return-Path is the same for every recipient, so the stored content is too.
        var content = new MemoryStream();
        await content.WriteAsync(Encoding.UTF8.GetBytes($"Return-Path: <{sender}>\r\n"), cancellationToken);
        await message.CopyToAsync(content, cancellationToken);
        content.Position = 0;
        var extraction = await MessageFields.ExtractAsync(content, cancellationToken);
        if (!extraction.Parsed)
            log.LogWarning("Delivering a message whose header could not be parsed ({Problem}); stored as received", extraction.Problem);
        var spam = IsSpam(extraction.Headers);
        content.Position = 0;

        var results = new List<DeliveryResult>(recipients.Count);
        using var staged = await store.StageAsync(content, cancellationToken);
        foreach (var recipient in recipients)
            results.Add(await DeliverOneAsync(recipient, staged, extraction.Fields, spam, cancellationToken));
        return results;
    }

    async Task<DeliveryResult> DeliverOneAsync(Recipient to, Blobs.StagedBlob staged, ItemFields fields, bool spam, CancellationToken cancellationToken)
    {
        var recipient = to.Address;
        if (to.LookupFailed)
            return new DeliveryResult(recipient, DeliveryStatus.TemporaryFailure, "directory unavailable");
        if (to.Account is not { } user)
            return new DeliveryResult(recipient, DeliveryStatus.UnknownRecipient);
        try
        {
            var info = await userStores.EnsureStoreAsync(user, cancellationToken);
            var use = spam ? SpecialUse.Junk : SpecialUse.Inbox;
            var folders = await store.ListFoldersAsync(info.Id, cancellationToken);
            var folder = folders.FirstOrDefault(f => f.SpecialUse == use) ?? folders.First(f => f.SpecialUse == SpecialUse.Inbox);
            var stored = await store.AppendAsync(folder.Id, staged, new AppendRequest { Fields = fields }, cancellationToken);
            log.LogInformation("Delivered to {Login} ({Folder}, uid {Uid})", user.Login, folder.Name, stored.Uid);
            return new DeliveryResult(recipient, DeliveryStatus.Delivered, null, stored, folder.SpecialUse);
        }
        catch (QuotaExceededException e)
        {
            log.LogInformation("Refused for {Login}: {Reason}", user.Login, e.Message);
            return new DeliveryResult(recipient, DeliveryStatus.OverQuota, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "Delivery to {Login} failed; the sender will retry", user.Login);
            return new DeliveryResult(recipient, DeliveryStatus.TemporaryFailure, "temporary failure");
        }
    }

    bool IsSpam(MimeKit.HeaderList? headers) =>
        headers?[options.SpamHeaderName] is { } value && value.Trim().StartsWith(options.SpamHeaderValue, StringComparison.OrdinalIgnoreCase);
}
