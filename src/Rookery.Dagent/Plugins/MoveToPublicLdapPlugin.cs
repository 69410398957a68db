using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Directory.Ldap;
using Rookery.Store;

namespace Rookery.Dagent.Plugins;

/// <summary>
/// <c>movetopublicldap</c> (the mlan/kopano container's plugin): mail for a user whose entry has
/// <c>ldap_public_folder_attribute</c> = <c>TOKEN:PATH</c> (by default
/// <c>kopanoResourceType: publicFolder:Public Stores/public</c>) goes to PATH in the public store of
/// the user's company, created if missing; everybody else's mail is delivered as usual.
/// </summary>
public sealed class MoveToPublicLdapPlugin(IMailStore store, LdapUserDirectory directory, string attribute, string token, string locale, ILogger? logger = null) : IDeliveryPlugin
{
    public const string PluginName = "movetopublicldap";
    readonly ILogger log = logger ?? NullLogger.Instance;

    public string Name => PluginName;

    public async ValueTask<FolderInfo?> ChooseFolderAsync(DeliveryContext context, CancellationToken cancellationToken)
    {
        if (context.Account.Source != LdapUserDirectory.Source)
            return null;
        // Read at each delivery, as the original did, so a changed entry takes effect at once;
        // a directory that is down throws, and the delivery is retried rather than misplaced.
        var values = await directory.ReadUserAttributeAsync(context.Account, attribute, cancellationToken);
        if (PublicFolderPath(values, token) is not { } path)
            return null;
        var folder = await MoveToPublicPlugin.PublicFolderAsync(store, context.Account.Company, path, locale, cancellationToken);
        log.LogInformation("Mail for {Recipient} goes to public folder {Path} ({Attribute})", context.Address, path, attribute);
        return folder;
    }

    /// <summary>The path after <c>TOKEN:</c> in the first value that starts with it (the token is case-sensitive); null if none names a folder.</summary>
    public static string? PublicFolderPath(IEnumerable<string> values, string token)
    {
        foreach (var value in values)
        {
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || !string.Equals(value[..colon].Trim(), token, StringComparison.Ordinal))
                continue;
            var path = value[(colon + 1)..].Trim();
            if (FolderPaths.Split(path).Count > 0)
                return path;
        }
        return null;
    }
}
