using System.CommandLine;
using System.Text.Json;
using Rookery.Directory;
using Rookery.Store;
using Spectre.Console;

namespace Rookery.Commands;

/// <summary>
/// <c>rookery admin permissions</c>: lists, grants and revokes folder permissions in a user's
/// store or a company's public store, with the original's roles.
/// </summary>
static class PermissionsCommand
{
    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create(CommonOptions common)
    {
        var user = new Option<string?>("--user", "-u") { Description = "Login of the user whose store holds the folder" };
        var publicStore = new Option<bool>("--public") { Description = "The public store (of --company, or the only one)" };
        var company = new Option<string?>("--company", "-I") { Description = "Company of the public store" };
        var folder = new Option<string?>("--folder", "-f") { Description = "Folder path, levels separated by '/' (INBOX is the Inbox in any language); without it: every folder" };
        var grant = new Option<string?>("--grant") { Description = "Grant to a login, group:NAME or anyone" };
        var revoke = new Option<string?>("--revoke") { Description = "Remove the grant of a login, group:NAME or anyone" };
        var role = new Option<string?>("--role", "-r")
        {
            Description = "With --grant: owner, publishing-editor, editor, publishing-author, author, nonediting-author, reviewer, contributor, secretary, none; or right names (read create edit-own edit-all delete-own delete-all create-subfolders folder-owner folder-contact folder-visible)",
        };
        var command = new Command("permissions", "List, grant or revoke folder permissions (without --grant or --revoke: list)") { user, publicStore, company, folder, grant, revoke, role };
        command.SetAction((parse, ct) => AdminCommand.WithRuntime(common, parse, async r =>
        {
            var granting = parse.GetValue(grant);
            var revoking = parse.GetValue(revoke);
            var rightsText = parse.GetValue(role);
            if (granting is not null && revoking is not null)
                throw new DirectoryException("say --grant or --revoke, not both");
            if (granting is not null && rightsText is null)
                throw new DirectoryException("--grant needs --role");
            var rights = FolderRights.None;
            if (rightsText is not null && !FolderRoles.TryParse(rightsText, out rights))
                throw new DirectoryException($"unknown role or right '{rightsText}'");
            if ((parse.GetValue(user) is null) == !parse.GetValue(publicStore))
                throw new DirectoryException("say which store: --user LOGIN or --public");

            StoreInfo store;
            if (parse.GetValue(user) is { } login)
            {
                var owner = await r.Directory.FindUserAsync(login, ct) ?? throw new DirectoryException($"user '{login}' does not exist");
                store = await r.UserStores.EnsureStoreAsync(owner, ct);
            }
            else
            {
                store = await r.Store.FindStoreAsync(StoreKind.Public, parse.GetValue(company) ?? "", ct)
                    ?? await r.Store.EnsureStoreAsync(StoreKind.Public, parse.GetValue(company) ?? "", r.Config.GetString("default_store_locale"), ct);
            }
            var folders = await r.Store.ListFoldersAsync(store.Id, ct);
            var path = parse.GetValue(folder);
            var target = path is null ? null : Find(folders, path) ?? throw new DirectoryException($"folder '{path}' does not exist");

            if (granting is not null || revoking is not null)
            {
                if (target is null)
                    throw new DirectoryException("--grant and --revoke need --folder");
                var grantee = await GranteeAsync(r.Directory, granting ?? revoking!, ct);
                try
                {
                    if (granting is not null)
                    {
                        await r.FolderAccess.SetAsync(null, target, grantee, rights, ct);
                        Console.WriteLine($"{granting} has {FolderRoles.Describe(rights)} on {path}");
                    }
                    else
                    {
                        var removed = await r.FolderAccess.RemoveAsync(null, target, grantee, ct);
                        Console.WriteLine(removed ? $"{revoking} no longer has a grant on {path}" : $"{revoking} had no grant on {path}");
                    }
                }
                catch (FolderOperationException e)
                {
                    throw new DirectoryException(e.Message);
                }
                return 0;
            }

            var paths = Paths(folders);
            var grants = (await r.FolderGrants.ListForStoreAsync(store.Id, ct)).Where(g => target is null || g.FolderId == target.Id).ToList();
            var rows = new List<(string Folder, string Grantee, string Rights, string Imap)>();
            IReadOnlyList<GroupInfo> groups = grants.Any(g => g.Grantee.Kind == GranteeKind.Group) ? await r.Directory.ListGroupsAsync(ct) : [];
            foreach (var g in grants.OrderBy(g => paths.GetValueOrDefault(g.FolderId, ""), StringComparer.OrdinalIgnoreCase))
            {
                // a grant to a user or group the directory no longer has (gone from LDAP or /etc/passwd) applies to nobody
                if (await NameAsync(r.Directory, groups, g.Grantee, ct) is { } name)
                    rows.Add((paths.GetValueOrDefault(g.FolderId, $"#{g.FolderId}"), name, FolderRoles.Describe(g.Rights), Imap.ImapRights.ToImap(g.Rights)));
            }
            if (store.Kind == StoreKind.Public)
                rows.Add(("(default)", "anyone", FolderRoles.Describe(r.FolderAccess.PublicDefault), Imap.ImapRights.ToImap(r.FolderAccess.PublicDefault)));
            if (parse.GetValue(common.Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows.Select(x => new { folder = x.Folder, grantee = x.Grantee, rights = x.Rights, imap = x.Imap }), JsonOptions));
                return 0;
            }
            var table = new Table().AddColumns("Folder", "Grantee", "Rights", "IMAP");
            foreach (var (f, g, rr, imap) in rows)
                table.AddRow(Markup.Escape(f), Markup.Escape(g), Markup.Escape(rr), Markup.Escape(imap));
            AnsiConsole.Write(table);
            return 0;
        }, ct));
        return command;
    }

    static FolderInfo? Find(IReadOnlyList<FolderInfo> folders, string path)
    {
        FolderInfo? current = null;
        foreach (var name in FolderPaths.Split(path))
        {
            var parentId = current?.Id;
            current = folders.FirstOrDefault(f => f.ParentId == parentId && string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? (parentId is null && name.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? folders.FirstOrDefault(f => f.ParentId is null && f.SpecialUse == SpecialUse.Inbox) : null);
            if (current is null)
                return null;
        }
        return current;
    }

    static Dictionary<long, string> Paths(IReadOnlyList<FolderInfo> folders)
    {
        var byId = folders.ToDictionary(f => f.Id);
        string PathOf(FolderInfo f) => f.ParentId is { } p && byId.TryGetValue(p, out var parent) ? PathOf(parent) + "/" + f.Name : f.Name;
        return folders.ToDictionary(f => f.Id, PathOf);
    }

    static async Task<Grantee> GranteeAsync(IUserDirectory directory, string name, CancellationToken ct)
    {
        if (name.Equals("anyone", StringComparison.OrdinalIgnoreCase))
            return Grantee.Anyone;
        if (name.StartsWith("group:", StringComparison.OrdinalIgnoreCase))
        {
            var groupName = name["group:".Length..];
            return (await directory.ListGroupsAsync(ct)).FirstOrDefault(g => g.Name.Equals(groupName, StringComparison.OrdinalIgnoreCase)) is { } group
                ? Grantee.Group(group.Name)
                : throw new DirectoryException($"group '{groupName}' does not exist");
        }
        return await directory.FindUserAsync(name, ct) is { } account ? Grantee.User(account) : throw new DirectoryException($"user '{name}' does not exist");
    }

    /// <summary>How a grantee is named (as in --grant), or null when the directory no longer has them.</summary>
    static async Task<string?> NameAsync(IUserDirectory directory, IReadOnlyList<GroupInfo> groups, Grantee grantee, CancellationToken ct) => grantee.Kind switch
    {
        GranteeKind.Anyone => "anyone",
        GranteeKind.Group => groups.FirstOrDefault(g => Grantee.Group(g.Name) == grantee) is { } group ? "group:" + group.Name : null,
        _ => (await directory.FindByStoreOwnerAsync(grantee.Key, ct))?.Login,
    };
}
