using Rookery.Imap.Protocol;

namespace Rookery.Imap;

/// <summary>
/// QUOTA (RFC 9208): one quota root, "", for the whole store, with the STORAGE resource in
/// KiB. The limit is the hard quota: the one that refuses APPEND and delivery alike.
/// </summary>
public sealed partial class ImapSession
{
    async Task<string?> GetQuotaRootAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 1);
        var mailbox = await ExistingAsync(MailboxName(command.Arguments[0]), cancellationToken);
        if (mailbox.Shared)
        {
            // another store's quota is its owner's business: no quota root the user could query
            writer.Raw("* QUOTAROOT ").Mailbox(mailbox.Name).EndLine();
            return null;
        }
        writer.Raw("* QUOTAROOT ").Mailbox(mailbox.Name).Raw(" \"\"").EndLine();
        await WriteQuotaAsync(cancellationToken);
        return null;
    }

    async Task<string?> GetQuotaAsync(ImapCommandLine command, CancellationToken cancellationToken)
    {
        ExpectArguments(command, 1);
        if (AString(command.Arguments[0]).Length != 0)
            throw No("No such quota root", "NONEXISTENT");
        await WriteQuotaAsync(cancellationToken);
        return null;
    }

    static Task<string?> SetQuotaAsync(ImapCommandLine command)
    {
        ExpectArguments(command, 2);
        throw No("Quotas are set by the administrator (rookery admin user update --quota-hard)", "NOPERM");
    }

    async Task WriteQuotaAsync(CancellationToken cancellationToken)
    {
        var current = await Store.GetStoreAsync(store!.Id, cancellationToken);
        var limits = await services.Quota.GetLimitsAsync(current, cancellationToken);
        writer.Raw("* QUOTA \"\" (");
        if (limits.Hard > 0)
            writer.Raw("STORAGE ").Number((current.Size + 1023) / 1024).Space().Number(limits.Hard / 1024);
        writer.Raw(")").EndLine();
    }
}
