using Rookery.Common;
using Rookery.Directory;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>What every IMAP session shares: the store, the users, the login service and the settings.</summary>
/// <param name="UserSessions">Open sessions per user, against imap_max_connections_per_user.</param>
/// <param name="Quota">The quota every protocol enforces, for GETQUOTA and GETQUOTAROOT.</param>
/// <param name="Access">Folder permissions: what a user may do in other users' and the public store.</param>
/// <param name="Directory">The user plugin, for the logins of shared stores' owners and ACL identifiers.</param>
public sealed record ImapServices(IMailStore Store, UserStores Users, Authenticator Authenticator, ImapOptions Options, ConnectionCounter UserSessions, IQuotaPolicy Quota,
    FolderAccess Access, IUserDirectory Directory);
