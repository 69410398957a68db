using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Directory;

namespace Rookery.Dagent.Socketmap;

/// <summary>
/// The lookup tables Postfix asks over the socketmap, answered from the active user plugin:
/// <c>mailbox</c> (virtual_mailbox_maps: is this a recipient?), <c>alias</c> (virtual_alias_maps:
/// alias → primary address) and <c>group</c> (virtual_alias_maps: group address → its members'
/// addresses). A directory that cannot be asked answers TEMP, so Postfix defers instead of bouncing.
/// </summary>
/// <param name="groupsAreMailboxes">dagent.cfg's expand_groups: the LMTP server then takes a group's
/// address itself, so <c>mailbox</c> answers it too, and Postfix must not be the one expanding it.</param>
public sealed class PostfixMaps(IUserDirectory directory, bool groupsAreMailboxes = false, ILogger? logger = null)
{
    public const string Mailbox = "mailbox";
    public const string Alias = "alias";
    public const string Group = "group";

    readonly ILogger log = logger ?? NullLogger.Instance;

    public async Task<SocketmapReply> LookupAsync(SocketmapRequest request, CancellationToken cancellationToken)
    {
        // Postfix also asks for "user" and "@domain" forms of an address; only full addresses are in the directory.
        var key = request.Key.Trim();
        var at = key.IndexOf('@', StringComparison.Ordinal);
        var isAddress = at > 0 && at < key.Length - 1;
        try
        {
            switch (request.Map)
            {
                case Mailbox:
                    if (!isAddress)
                        return SocketmapReply.NotFound;
                    if (await directory.FindAddressOwnerAsync(key, cancellationToken) is { } user)
                        return SocketmapReply.Ok(PrimaryAddress(user));
                    return groupsAreMailboxes && await directory.FindGroupByAddressAsync(key, cancellationToken) is { } mailGroup
                        ? SocketmapReply.Ok(mailGroup.Email.Length > 0 ? mailGroup.Email : key)
                        : SocketmapReply.NotFound;
                case Alias:
                    // Only an alias is rewritten: a primary address maps to nothing, which ends Postfix's recursion.
                    return isAddress && await directory.FindAddressOwnerAsync(key, cancellationToken) is { } owner
                           && !string.Equals(owner.Email, key, StringComparison.OrdinalIgnoreCase) && owner.Email.Length > 0
                        ? SocketmapReply.Ok(owner.Email)
                        : SocketmapReply.NotFound;
                case Group:
                    return isAddress && !groupsAreMailboxes ? await GroupAsync(key, cancellationToken) : SocketmapReply.NotFound;
                default:
                    return new SocketmapReply(SocketmapStatus.Perm, $"no map named {request.Map}; this server has {Mailbox}, {Alias} and {Group}");
            }
        }
        catch (DirectoryUnavailableException e)
        {
            log.LogWarning("socketmap {Map} {Key}: {Problem}", request.Map, key, e.Message);
            return new SocketmapReply(SocketmapStatus.Temp, "user directory unavailable");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "socketmap {Map} {Key} failed", request.Map, key);
            return new SocketmapReply(SocketmapStatus.Temp, "lookup failed");
        }
    }

    /// <summary>
    /// The members' primary addresses, comma-separated as virtual_alias_maps expects; members without
    /// an address are left out. A group with no member to deliver to is not found (the mail bounces).
    /// </summary>
    async Task<SocketmapReply> GroupAsync(string address, CancellationToken cancellationToken)
    {
        if (await directory.FindGroupByAddressAsync(address, cancellationToken) is not { } group)
            return SocketmapReply.NotFound;
        var addresses = new List<string>(group.Members.Count);
        foreach (var login in group.Members)
        {
            if (await directory.FindUserAsync(login, cancellationToken) is { Email.Length: > 0 } member
                && !addresses.Contains(member.Email, StringComparer.OrdinalIgnoreCase))
                addresses.Add(member.Email);
        }
        if (addresses.Count == 0)
        {
            log.LogInformation("socketmap group {Group}: no member has an e-mail address", address);
            return SocketmapReply.NotFound;
        }
        return SocketmapReply.Ok(string.Join(",", addresses));
    }

    static string PrimaryAddress(AddressOwner user) => user.Email.Length > 0 ? user.Email : user.Login;
}
