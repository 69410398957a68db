using Rookery.Directory;
using Rookery.Store;

namespace Rookery.Imap;

/// <summary>What every IMAP session shares: the store, the users, the login service and the settings.</summary>
public sealed record ImapServices(IMailStore Store, UserStores Users, Authenticator Authenticator, ImapOptions Options);
