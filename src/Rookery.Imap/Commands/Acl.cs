using Rookery.Imap.Protocol;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>
/// ACL (RFC 4314): GETACL, SETACL, DELETEACL, LISTRIGHTS and MYRIGHTS over the store's folder
/// permissions. Identifiers are logins, "group:NAME" for a group and "anyone" for the default
/// grant; the owner of a private store always has every right and is listed first.
/// </summary>
public sealed partial class ImapSession
{
    const string AnyoneIdentifier = "anyone";
    const string GroupPrefix = "group:";

    async Task<string?> GetAclAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 1);
        var mailbox = await ExistingAsync(MailboxName(command.Arguments[0]), cancellationToken);
        Demand(mailbox, FolderAction.Administer, "see the permissions of this mailbox");
        var target = await Store.GetStoreAsync(mailbox.Folder.StoreId, cancellationToken);
        var entries = new List<(string Identifier, string Rights)>();
        if (target.Kind == StoreKind.Private && await services.Directory.FindByStoreOwnerAsync(target.Owner, cancellationToken) is { } owner)
            entries.Add((owner.Login, ImapRights.AllLetters));
        var grants = await services.Access.Grants.ListAsync(mailbox.Folder.Id, cancellationToken);
        foreach (var grant in grants)
        {
            if (await IdentifierAsync(grant.Grantee, cancellationToken) is { } identifier)
                entries.Add((identifier, ImapRights.ToImap(grant.Rights)));
        }
        if (target.Kind == StoreKind.Public && !grants.Any(g => g.Grantee.Kind == GranteeKind.Anyone))
            entries.Add((AnyoneIdentifier, ImapRights.ToImap(services.Access.PublicDefault)));
        writer.Raw("* ACL ").Mailbox(mailbox.Name);
        foreach (var (identifier, rights) in entries)
            writer.Space().AString(identifier).Space().AString(rights);
        writer.EndLine();
        return null;
    }

    async Task<string?> SetAclAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 3);
        var text = AString(command.Arguments[2]);
        var mode = text.StartsWith('+') ? '+' : text.StartsWith('-') ? '-' : '=';
        if (!ImapRights.TryParse(mode == '=' ? text : text[1..], out var given))
            throw Bad("Unknown right; the rights are " + ImapRights.AllLetters);
        var identifier = AString(command.Arguments[1]);
        var mailbox = await ExistingAsync(MailboxName(command.Arguments[0]), cancellationToken);
        Demand(mailbox, FolderAction.Administer, "change the permissions of this mailbox");
        var grantee = await GranteeAsync(identifier, cancellationToken);
        var rights = given;
        if (mode != '=')
        {
            var current = (await services.Access.Grants.ListAsync(mailbox.Folder.Id, cancellationToken)).FirstOrDefault(g => g.Grantee == grantee)?.Rights
                ?? (grantee.Kind == GranteeKind.Anyone && mailbox.Shared && (await Store.GetStoreAsync(mailbox.Folder.StoreId, cancellationToken)).Kind == StoreKind.Public
                    ? services.Access.PublicDefault : FolderRights.None);
            rights = mode == '+' ? current | given : current & ~given;
        }
        await services.Access.SetAsync(user, mailbox.Folder, grantee, rights, cancellationToken);
        userStore?.Forget();
        return null;
    }

    async Task<string?> DeleteAclAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 2);
        var mailbox = await ExistingAsync(MailboxName(command.Arguments[0]), cancellationToken);
        Demand(mailbox, FolderAction.Administer, "change the permissions of this mailbox");
        var grantee = await GranteeAsync(AString(command.Arguments[1]), cancellationToken);
        await services.Access.RemoveAsync(user, mailbox.Folder, grantee, cancellationToken);
        userStore?.Forget();
        return null;
    }

    async Task<string?> ListRightsAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 2);
        var identifier = AString(command.Arguments[1]);
        var mailbox = await ExistingAsync(MailboxName(command.Arguments[0]), cancellationToken);
        Demand(mailbox, FolderAction.Administer, "see the permissions of this mailbox");
        var grantee = await GranteeAsync(identifier, cancellationToken);
        var target = await Store.GetStoreAsync(mailbox.Folder.StoreId, cancellationToken);
        writer.Raw("* LISTRIGHTS ").Mailbox(mailbox.Name).Space().AString(identifier).Space();
        if (target.Kind == StoreKind.Private && grantee.Kind == GranteeKind.User && grantee.Key == target.Owner)
            writer.Raw(ImapRights.AllLetters); // the owner's rights cannot be changed: all are required
        else
            writer.Raw("\"\" ").Raw(string.Join(' ', ImapRights.Groups));
        writer.EndLine();
        return null;
    }

    async Task<string?> MyRightsAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 1);
        // RFC 4314: any of "lrikxa" will do; a folder the user holds none of those on is not in the tree at all (NO [NONEXISTENT])
        var mailbox = await ExistingAsync(MailboxName(command.Arguments[0]), cancellationToken);
        writer.Raw("* MYRIGHTS ").Mailbox(mailbox.Name).Space().AString(ImapRights.ToImap(mailbox.Rights)).EndLine();
        return null;
    }

    /// <summary>An ACL identifier: "anyone", "group:NAME" or a login.</summary>
    async Task<Grantee> GranteeAsync(string identifier, CancellationToken cancellationToken)
    {
        if (identifier.StartsWith('-'))
            throw No("Negative rights are not supported", "CANNOT");
        if (identifier.Equals(AnyoneIdentifier, StringComparison.OrdinalIgnoreCase))
            return Grantee.Anyone;
        if (identifier.StartsWith(GroupPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var name = identifier[GroupPrefix.Length..];
            var groups = await services.Directory.ListGroupsAsync(cancellationToken);
            return groups.FirstOrDefault(g => g.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } group
                ? Grantee.Group(group.Name)
                : throw No($"No such group: {Printable(name)}", "CANNOT");
        }
        return await services.Directory.FindUserAsync(identifier, cancellationToken) is { } account
            ? Grantee.User(account)
            : throw No($"No such user: {Printable(identifier)}", "CANNOT");
    }

    /// <summary>How a grantee is named in ACL responses; null for a user or group that no longer exists.</summary>
    async Task<string?> IdentifierAsync(Grantee grantee, CancellationToken cancellationToken) => grantee.Kind switch
    {
        GranteeKind.Anyone => AnyoneIdentifier,
        GranteeKind.Group => (await services.Directory.ListGroupsAsync(cancellationToken)).FirstOrDefault(g => Grantee.Group(g.Name) == grantee) is { } group
            ? GroupPrefix + group.Name
            : null,
        _ => (await services.Directory.FindByStoreOwnerAsync(grantee.Key, cancellationToken))?.Login,
    };
}
