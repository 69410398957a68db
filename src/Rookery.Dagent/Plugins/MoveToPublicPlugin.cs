using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Store;

namespace Rookery.Dagent.Plugins;

/// <summary>
/// <c>movetopublic</c>: mail for the addresses movetopublic.cfg lists goes to a folder of the public
/// store (the recipient's company's, when there are companies) instead of the recipient's Inbox.
/// The folders on the path are created the first time mail arrives for them.
/// </summary>
public sealed class MoveToPublicPlugin(IMailStore store, IReadOnlyDictionary<string, string> rules, string locale, ILogger? logger = null) : IDeliveryPlugin
{
    public const string PluginName = "movetopublic";
    readonly ILogger log = logger ?? NullLogger.Instance;
    readonly Dictionary<string, string> rules = new(rules, StringComparer.OrdinalIgnoreCase);

    public string Name => PluginName;

    public async ValueTask<FolderInfo?> ChooseFolderAsync(DeliveryContext context, CancellationToken cancellationToken)
    {
        if (!rules.TryGetValue(context.Address, out var path))
            return null;
        var folder = await PublicFolderAsync(store, context.Account.Company, path, locale, cancellationToken);
        log.LogInformation("Mail for {Recipient} goes to public folder {Path}", context.Address, path);
        return folder;
    }

    /// <summary>The folder at <paramref name="path"/> in the public store of <paramref name="company"/>, created if missing; shared with the LDAP variant.</summary>
    public static async Task<FolderInfo> PublicFolderAsync(IMailStore store, string company, string path, string locale, CancellationToken cancellationToken)
    {
        var publicStore = await store.EnsureStoreAsync(StoreKind.Public, company, locale, cancellationToken);
        return await FolderPaths.EnsureAsync(store, publicStore.Id, path, cancellationToken);
    }

    /// <summary>
    /// Reads movetopublic.cfg in the original's format: one section per rule, each with the
    /// recipient address and the destination folder.
    /// <code>
    /// [rule1]
    /// recipient = sales@example.com
    /// destination_folder = Sales/Incoming
    /// </code>
    /// </summary>
    public static IReadOnlyDictionary<string, string> ReadRules(string file)
    {
        var rules = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? section = null, recipient = null, destination = null;
        var sectionLine = 0;
        var number = 0;
        void Close()
        {
            if (section is null)
                return;
            if (string.IsNullOrEmpty(recipient) || string.IsNullOrEmpty(destination))
                throw new FormatException($"{file}:{sectionLine}: [{section}] needs both recipient and destination_folder");
            if (FolderPaths.Split(destination).Count == 0)
                throw new FormatException($"{file}:{sectionLine}: [{section}] destination_folder '{destination}' names no folder");
            if (!rules.TryAdd(recipient, destination))
                throw new FormatException($"{file}:{sectionLine}: [{section}] repeats recipient {recipient}");
        }
        foreach (var raw in File.ReadLines(file))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;
            if (line[0] == '[')
            {
                if (!line.EndsWith(']'))
                    throw new FormatException($"{file}:{number}: unterminated section header '{line}'");
                Close();
                section = line[1..^1].Trim();
                sectionLine = number;
                recipient = destination = null;
                continue;
            }
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
                throw new FormatException($"{file}:{number}: expected 'name = value', found '{line}'");
            if (section is null)
                throw new FormatException($"{file}:{number}: '{line}' is outside a [rule] section");
            var name = line[..equals].Trim().ToLowerInvariant();
            var value = line[(equals + 1)..].Trim();
            switch (name)
            {
                case "recipient": recipient = value; break;
                case "destination_folder": destination = value; break;
                default: throw new FormatException($"{file}:{number}: unknown setting '{name}' (expected recipient or destination_folder)");
            }
        }
        Close();
        return rules;
    }
}
