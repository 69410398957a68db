using System.DirectoryServices.Protocols;
using System.Net;
using System.Text;

namespace LdapLoad;

/// <summary>
/// What Postfix's ldap table does for one lookup (ldap_table(5), deploy/postfix/ldap-users.cf): on one
/// connection kept open, a subtree search with the query filter's %s replaced by the escaped key, for the
/// result attribute. Through libldap (System.DirectoryServices.Protocols), the library Postfix uses.
/// </summary>
sealed class LdapSearchWorker(Options options) : IWorker
{
    readonly LdapConnection connection = new(new LdapDirectoryIdentifier(options.Host, options.Port, fullyQualifiedDnsHostName: false, connectionless: false));

    public Task OpenAsync(CancellationToken cancellationToken)
    {
        connection.SessionOptions.ProtocolVersion = 3;
        connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
        connection.AuthType = options.BindDn.Length > 0 ? AuthType.Basic : AuthType.Anonymous;
        if (options.BindDn.Length > 0)
            connection.Bind(new NetworkCredential(options.BindDn, options.BindPassword));
        else
            connection.Bind();
        return Task.CompletedTask;
    }

    public Task RunAsync(string key, CancellationToken cancellationToken)
    {
        var filter = options.Filter.Replace("%s", Escape(key), StringComparison.Ordinal);
        var response = (SearchResponse)connection.SendRequest(new SearchRequest(options.SearchBase, filter, SearchScope.Subtree, options.Attribute));
        var found = response.Entries.Count > 0;
        if ((options.Expect == Expect.Ok && !found) || (options.Expect == Expect.NotFound && found))
            throw new InvalidOperationException(found ? "found" : "not found");
        return Task.CompletedTask;
    }

    /// <summary>RFC 4515 escaping of a filter value, as Postfix applies to %s.</summary>
    static string Escape(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
            text.Append(c is '*' or '(' or ')' or '\\' or '\0' ? $"\\{(int)c:x2}" : c.ToString());
        return text.ToString();
    }

    public ValueTask DisposeAsync()
    {
        connection.Dispose();
        return ValueTask.CompletedTask;
    }
}
