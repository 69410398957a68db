using Rookery.Common;
using Rookery.Directory;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>What every IMAP session shares: the store, the users, the login service and the settings.</summary>
/// <param name="UserSessions">Open sessions per user, against imap_max_connections_per_user.</param>
/// <param name="Quota">The quota every protocol enforces, for GETQUOTA and GETQUOTAROOT.</param>
public sealed record ImapServices(IMailStore Store, UserStores Users, Authenticator Authenticator, ImapOptions Options, ConnectionCounter UserSessions, IQuotaPolicy Quota);
