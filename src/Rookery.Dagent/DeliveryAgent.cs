using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Dagent.Plugins;
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

/// <summary>
/// A recipient address and the account it belongs to (null: no such user), or, when group
/// expansion is on and the address is a group's, the group's members.
/// </summary>
public sealed record Recipient(string Address, UserAccount? Account, bool LookupFailed = false, IReadOnlyList<UserAccount>? Members = null)
{
    public bool Known => Account is not null || Members is not null;
}

/// <param name="Folder">The role of the folder the copy went to (None for a folder a plugin chose).</param>
/// <param name="FolderId">The folder the copy went to.</param>
public sealed record DeliveryResult(string Recipient, DeliveryStatus Status, string? Detail = null, AppendResult? Stored = null, SpecialUse Folder = SpecialUse.Inbox, long FolderId = 0);

/// <summary>dagent settings: the original's spam_header_name / spam_header_value.</summary>
public sealed record DeliveryOptions
{
    public string SpamHeaderName { get; init; } = "X-Spam-Status";
    /// <summary>A header value starting with this (case-insensitive) marks spam, as kopano-dagent matches it.</summary>
    public string SpamHeaderValue { get; init; } = "Yes";
    /// <summary>Whether a group's address delivers to its members (the original leaves this to the MTA).</summary>
    public bool ExpandGroups { get; init; }
    /// <summary>The delivery plugins in the order they run (dagent.cfg's <c>plugins</c>).</summary>
    public IReadOnlyList<IDeliveryPlugin> Plugins { get; init; } = [];
    /// <summary>Describes the message's structure once for every recipient (IMAP ENVELOPE and BODYSTRUCTURE); none leaves it to the first FETCH.</summary>
    public IStructureDescriber? Structure { get; init; }
}

/// <summary>
/// Delivers one message to its recipients: content staged once (one blob for every recipient),
/// fields extracted once, each recipient committed on its own so one full store does not fail
/// the others. A recipient's result is Delivered only after its commit.
/// </summary>
public sealed class DeliveryAgent(IMailStore store, IUserDirectory directory, UserStores userStores, DeliveryOptions options, ILogger<DeliveryAgent>? logger = null)
{
    readonly ILogger log = logger ?? (ILogger)NullLogger.Instance;

    /// <summary>
    /// Looks a recipient up before the message is sent (RCPT TO), so unknown ones are refused early:
    /// an account's address or alias, else (with expand_groups) a group's address. Throws when the
    /// directory cannot be asked.
    /// </summary>
    public async Task<Recipient> ResolveAsync(string address, CancellationToken cancellationToken = default)
    {
        if (await directory.FindByAddressAsync(address, cancellationToken) is { } account)
            return new Recipient(address, account);
        if (options.ExpandGroups && await directory.FindGroupByAddressAsync(address, cancellationToken) is { } group)
        {
            var members = new List<UserAccount>(group.Members.Count);
            foreach (var login in group.Members)
            {
                if (await directory.FindUserAsync(login, cancellationToken) is { } member)
                    members.Add(member);
            }
            return new Recipient(address, null, Members: members);
        }
        return new Recipient(address, null);
    }

    /// <summary>Delivers to addresses, looking each up in the directory.</summary>
    public async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(string sender, IReadOnlyList<string> recipients, Stream message, CancellationToken cancellationToken = default)
    {
        var resolved = new List<Recipient>(recipients.Count);
        foreach (var address in recipients)
        {
            try
            {
                resolved.Add(await ResolveAsync(address, cancellationToken));
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
    /// <param name="message">The message as received, with CRLF line ends; it is stored as it is.</param>
    public async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(string sender, IReadOnlyList<Recipient> recipients, Stream message, CancellationToken cancellationToken = default)
    {
        using var content = await MessageContent.ReadAsync(message, cancellationToken);
        return await DeliverAsync(sender, recipients, content, cancellationToken);
    }

    /// <summary>
    /// Delivers <paramref name="message"/>, read once: its header fields, its structure and the blob every
    /// recipient's copy shares all come from the same octets (in memory, or mapped from the spool file).
    /// </summary>
    public async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(string sender, IReadOnlyList<Recipient> recipients, MessageContent message, CancellationToken cancellationToken = default)
    {
        var extraction = MessageFields.Extract(message, options.Structure is { } describer ? describer.Describe : null);
        if (!extraction.Parsed)
            log.LogWarning("Delivering a message whose header could not be parsed ({Problem}); stored as received", extraction.Problem);
        var spam = IsSpam(extraction.Headers);

        // The content is the same for every recipient and stored once; what differs per copy
        // (Delivered-To) goes into that copy's trace headers.
        var results = new List<DeliveryResult>(recipients.Count);
        Blobs.StagedBlob staged;
        await using (var octets = message.OpenRead())
            staged = await store.StageAsync(octets, cancellationToken);
        using (staged)
        {
            foreach (var recipient in recipients)
            {
                results.Add(recipient.Members is { } members
                    ? await DeliverToGroupAsync(sender, recipient.Address, members, staged, extraction, spam, cancellationToken)
                    : await DeliverOneAsync(sender, recipient, staged, extraction, spam, cancellationToken));
            }
        }
        return results;
    }

    /// <summary>
    /// One copy per member (each with its own Delivered-To), one outcome for the group address: a
    /// temporary failure of any member makes the whole group temporary, so the MTA retries and
    /// nobody loses the message (members that already got it may get it twice).
    /// </summary>
    async Task<DeliveryResult> DeliverToGroupAsync(string sender, string address, IReadOnlyList<UserAccount> members, Blobs.StagedBlob staged, MessageFields.Extraction extraction, bool spam, CancellationToken cancellationToken)
    {
        var outcomes = new List<DeliveryResult>(members.Count);
        foreach (var member in members)
            outcomes.Add(await DeliverOneAsync(sender, new Recipient(member.Email.Length > 0 ? member.Email : member.Login, member), staged, extraction, spam, cancellationToken));
        log.LogInformation("Group {Group}: delivered to {Delivered} of {Count} members", address, outcomes.Count(o => o.Status == DeliveryStatus.Delivered), members.Count);
        if (outcomes.FirstOrDefault(o => o.Status == DeliveryStatus.TemporaryFailure) is { } failed)
            return failed with { Recipient = address };
        if (outcomes.Count > 0 && outcomes.All(o => o.Status == DeliveryStatus.OverQuota))
            return new DeliveryResult(address, DeliveryStatus.OverQuota, "every member's mailbox is full");
        return new DeliveryResult(address, DeliveryStatus.Delivered, $"{outcomes.Count(o => o.Status == DeliveryStatus.Delivered)} of {members.Count} members");
    }

    /// <summary>The header lines in front of one recipient's copy, as Postfix's local(8) and Dovecot's LMTP write them.</summary>
    public static byte[] TraceHeaders(string sender, string recipient) =>
        Encoding.UTF8.GetBytes($"Return-Path: <{sender}>\r\nDelivered-To: {recipient}\r\n");

    async Task<DeliveryResult> DeliverOneAsync(string sender, Recipient to, Blobs.StagedBlob staged, MessageFields.Extraction extraction, bool spam, CancellationToken cancellationToken)
    {
        var recipient = to.Address;
        if (to.LookupFailed)
            return new DeliveryResult(recipient, DeliveryStatus.TemporaryFailure, "directory unavailable");
        if (to.Account is not { } user)
            return new DeliveryResult(recipient, DeliveryStatus.UnknownRecipient);
        try
        {
            var context = new DeliveryContext(sender, recipient, user, extraction.Headers, spam);
            var request = new AppendRequest
            {
                Fields = extraction.Fields,
                Structure = extraction.Structure,
                // a login given to pipe delivery is written as the account's address
                TraceHeaders = TraceHeaders(sender, recipient.Contains('@', StringComparison.Ordinal) || user.Email.Length == 0 ? recipient : user.Email),
            };
            var folder = await ChooseFolderAsync(context, cancellationToken);
            AppendResult stored;
            try
            {
                stored = await store.AppendAsync(folder.Id, staged, request, cancellationToken);
            }
            catch (StoreObjectNotFoundException) when (folders.Forget(folder))
            {
                // the remembered folder is gone (a Junk E-mail folder deleted since): look again
                folder = await ChooseFolderAsync(context, cancellationToken);
                stored = await store.AppendAsync(folder.Id, staged, request, cancellationToken);
            }
            log.LogInformation("Delivered to {Login} ({Folder}, uid {Uid})", user.Login, folder.Name, stored.Uid);
            return new DeliveryResult(recipient, DeliveryStatus.Delivered, null, stored, folder.SpecialUse, folder.Id);
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

    /// <summary>The first folder a plugin chooses, else Junk E-mail for spam, else the Inbox.</summary>
    async Task<FolderInfo> ChooseFolderAsync(DeliveryContext context, CancellationToken cancellationToken)
    {
        foreach (var plugin in options.Plugins)
        {
            if (await plugin.ChooseFolderAsync(context, cancellationToken) is { } chosen)
                return chosen;
        }
        var use = context.IsSpam ? SpecialUse.Junk : SpecialUse.Inbox;
        if (folders.Find(context.Account.StoreOwner, use) is { } known)
            return known;
        var info = await userStores.EnsureStoreAsync(context.Account, cancellationToken);
        var all = await store.ListFoldersAsync(info.Id, cancellationToken);
        var folder = all.FirstOrDefault(f => f.SpecialUse == use) ?? all.First(f => f.SpecialUse == SpecialUse.Inbox);
        folders.Remember(context.Account.StoreOwner, use, folder);
        return folder;
    }

    readonly DeliveryFolders folders = new(TimeProvider.System);

    bool IsSpam(MimeKit.HeaderList? headers) =>
        headers?[options.SpamHeaderName] is { } value && value.Trim().StartsWith(options.SpamHeaderValue, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The Inbox and Junk E-mail folder of recent recipients, so a delivery does not look its store and
/// folders up every time. Entries expire after a minute; one whose folder has gone is forgotten
/// when the append says so, and the delivery looks again.
/// </summary>
sealed class DeliveryFolders(TimeProvider clock)
{
    const int MaxEntries = 10_000;
    static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    readonly System.Collections.Concurrent.ConcurrentDictionary<(string Owner, SpecialUse Use), (FolderInfo Folder, DateTimeOffset Until)> entries = new();

    public FolderInfo? Find(string owner, SpecialUse use) =>
        entries.TryGetValue((owner, use), out var entry) && entry.Until > clock.GetUtcNow() ? entry.Folder : null;

    public void Remember(string owner, SpecialUse use, FolderInfo folder)
    {
        if (entries.Count >= MaxEntries)
            entries.Clear();
        entries[(owner, use)] = (folder, clock.GetUtcNow() + Lifetime);
    }

    /// <summary>Forgets every entry for <paramref name="folder"/>; true if there was one.</summary>
    public bool Forget(FolderInfo folder)
    {
        var forgotten = false;
        foreach (var (key, entry) in entries)
        {
            if (entry.Folder.Id == folder.Id)
                forgotten |= entries.TryRemove(key, out _);
        }
        return forgotten;
    }
}
