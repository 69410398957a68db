using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rookery.Common.Configuration;
using Rookery.Directory;
using Spectre.Console;

namespace Rookery.Commands;

/// <summary><c>rookery admin</c>: users, groups, companies, folder permissions and maintenance, like kopano-admin/kopano-cli.</summary>
public static class AdminCommand
{
    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create(CommonOptions common)
    {
        var listUsers = new Option<bool>("--list-users", "-l") { Description = "List users (same as: admin user list)" };
        var listGroups = new Option<bool>("--list-groups", "-L") { Description = "List groups (same as: admin group list)" };
        var listOrphans = new Option<bool>("--list-orphans") { Description = "List stores whose user is gone from the directory (same as: admin store orphans)" };
        var admin = new Command("admin", "Manage users, groups and companies, and run maintenance jobs") { listUsers, listGroups, listOrphans };
        admin.Subcommands.Add(UserCommand(common));
        admin.Subcommands.Add(GroupCommand(common));
        admin.Subcommands.Add(CompanyCommand(common));
        admin.Subcommands.Add(StoreCommand(common));
        admin.Subcommands.Add(PermissionsCommand.Create(common));
        admin.Subcommands.Add(ConvertAttachmentsCommand(common));
        admin.Subcommands.Add(ReloadCommand(common));
        admin.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(listUsers))
                return await WithRuntime(common, parse, r => ListUsersAsync(r, parse.GetValue(common.Json), ct), ct);
            if (parse.GetValue(listGroups))
                return await WithRuntime(common, parse, r => ListGroupsAsync(r, parse.GetValue(common.Json), ct), ct);
            if (parse.GetValue(listOrphans))
                return await WithRuntime(common, parse, r => ListOrphansAsync(r, parse.GetValue(common.Json), ct), ct);
            await Console.Error.WriteLineAsync("rookery admin: say what to do: user, group, company, permissions, store, convert-attachments, --list-users or --list-groups (rookery admin --help)");
            return 2;
        });
        return admin;
    }

    // ---- users ----

    sealed class UserOptions
    {
        public Option<string?> Password { get; } = new("--password", "-p") { Description = "Password" };
        public Option<string?> Email { get; } = new("--email", "-e") { Description = "Primary e-mail address" };
        public Option<string?> FullName { get; } = new("--fullname", "-f") { Description = "Full name" };
        public Option<string?> Company { get; } = new("--company", "-I") { Description = "Company (tenant) the user belongs to" };
        public Option<string?> Active { get; } = YesNo("--active", "no makes a non-active account: its store receives mail, nobody logs in as it");
        public Option<string?> Hidden { get; } = YesNo("--hidden", "Hide from the address book");
        public Option<string?> QuotaOverride { get; } = YesNo("--quota-override", "Use this user's quota instead of the server's quota_warn/soft/hard");
        public Option<long?> QuotaWarn { get; } = new("--quota-warn") { Description = "Warning level in MiB" };
        public Option<long?> QuotaSoft { get; } = new("--quota-soft") { Description = "Soft level in MiB" };
        public Option<long?> QuotaHard { get; } = new("--quota-hard") { Description = "Hard level in MiB" };
        public Option<string[]> EnableFeature { get; } = new("--enable-feature") { Description = "Enable a feature (imap pop3 mobile outlook webapp) for this user", AllowMultipleArgumentsPerToken = false };
        public Option<string[]> DisableFeature { get; } = new("--disable-feature") { Description = "Disable a feature for this user" };
        public Option<string[]> ResetFeature { get; } = new("--reset-feature") { Description = "Back to the server's disabled_features for this feature" };
        public Option<string[]> AddAlias { get; } = new("--add-alias") { Description = "Add an e-mail alias" };
        public Option<string[]> RemoveAlias { get; } = new("--remove-alias") { Description = "Remove an e-mail alias" };
        public Option<string[]> AddSendAs { get; } = new("--add-sendas") { Description = "Allow that user to send as this one" };
        public Option<string[]> RemoveSendAs { get; } = new("--remove-sendas") { Description = "Stop that user sending as this one" };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Password, Email, FullName, Company, Active, Hidden, QuotaOverride, QuotaWarn, QuotaSoft, QuotaHard,
                EnableFeature, DisableFeature, ResetFeature, AddAlias, RemoveAlias, AddSendAs, RemoveSendAs })
                command.Options.Add(option);
        }

        public UserUpdate Read(ParseResult parse, bool? isAdmin) => new()
        {
            Email = parse.GetValue(Email),
            FullName = parse.GetValue(FullName),
            Company = parse.GetValue(Company),
            IsAdmin = isAdmin,
            Active = Bool(parse.GetValue(Active)),
            Hidden = Bool(parse.GetValue(Hidden)),
            QuotaOverride = Bool(parse.GetValue(QuotaOverride)),
            QuotaWarn = parse.GetValue(QuotaWarn),
            QuotaSoft = parse.GetValue(QuotaSoft),
            QuotaHard = parse.GetValue(QuotaHard),
            EnableFeatures = parse.GetValue(EnableFeature) ?? [],
            DisableFeatures = parse.GetValue(DisableFeature) ?? [],
            ResetFeatures = parse.GetValue(ResetFeature) ?? [],
            AddAliases = parse.GetValue(AddAlias) ?? [],
            RemoveAliases = parse.GetValue(RemoveAlias) ?? [],
            AddSendAs = parse.GetValue(AddSendAs) ?? [],
            RemoveSendAs = parse.GetValue(RemoveSendAs) ?? [],
        };
    }

    static Command UserCommand(CommonOptions common)
    {
        var user = new Command("user", "Manage users (user_plugin = db)");

        var addLogin = new Argument<string>("login") { Description = "Login name" };
        var addOptions = new UserOptions();
        var addAdmin = new Option<bool>("--admin", "-a") { Description = "Make the user an administrator" };
        var add = new Command("add", "Create a user and its store") { addLogin, addAdmin };
        addOptions.AddTo(add);
        addOptions.Password.Required = true;
        addOptions.Email.Required = true;
        add.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
        {
            RequireDbPlugin(r, "users are created with useradd; then set their e-mail, quota and features with: rookery admin user update");
            var login = parse.GetValue(addLogin)!;
            var created = await r.Repository.CreateUserAsync(DbUserDirectory.Source, login, r.PasswordHasher.Hash(parse.GetValue(addOptions.Password)!),
                addOptions.Read(parse, parse.GetValue(addAdmin)), ct);
            await r.UserStores.EnsureStoreAsync(created, ct);
            return Done(parse, common, $"user {created.Login} created", created);
        }, ct));
        user.Subcommands.Add(add);

        var updateLogin = new Argument<string>("login") { Description = "Login name" };
        var updateOptions = new UserOptions();
        var updateAdmin = YesNo("--admin", "Administrator or not");
        var update = new Command("update", "Change a user") { updateLogin, updateAdmin };
        updateOptions.AddTo(update);
        update.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
        {
            var password = parse.GetValue(updateOptions.Password);
            var login = parse.GetValue(updateLogin)!;
            if (r.Directory is UnixUserDirectory)
            {
                if (password is not null)
                    throw new DirectoryException("with user_plugin = unix, passwords are changed with passwd");
                if (await r.Directory.FindUserAsync(login, ct) is null)
                    throw new DirectoryException($"user '{login}' is not in /etc/passwd within the uid range of unix.cfg");
                if (await r.Repository.FindUserAsync(UnixUserDirectory.Source, login, ct) is null)
                    await r.Repository.CreateUserAsync(UnixUserDirectory.Source, login, "", new UserUpdate(), ct); // holds the extra properties
            }
            var updated = await r.Repository.UpdateUserAsync(r.Directory.Name, login,
                updateOptions.Read(parse, Bool(parse.GetValue(updateAdmin))), password is null ? null : r.PasswordHasher.Hash(password), ct);
            return Done(parse, common, $"user {updated.Login} updated", updated);
        }, ct));
        user.Subcommands.Add(update);

        var deleteLogin = new Argument<string>("login") { Description = "Login name" };
        var delete = new Command("delete", "Delete a user; the store stays, as an orphan") { deleteLogin };
        delete.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
        {
            RequireDbPlugin(r, "users are removed with userdel");
            await r.Repository.DeleteUserAsync(DbUserDirectory.Source, parse.GetValue(deleteLogin)!, ct);
            Console.WriteLine($"user {parse.GetValue(deleteLogin)} deleted");
            return 0;
        }, ct));
        user.Subcommands.Add(delete);

        var list = new Command("list", "List users (creates missing stores, as the original does when listing)");
        list.SetAction((parse, ct) => WithRuntime(common, parse, r => ListUsersAsync(r, parse.GetValue(common.Json), ct), ct));
        user.Subcommands.Add(list);

        var showLogin = new Argument<string>("login") { Description = "Login name" };
        var show = new Command("show", "Show one user") { showLogin };
        show.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
        {
            var found = await r.Directory.FindUserAsync(parse.GetValue(showLogin)!, ct);
            if (found is null)
            {
                await Console.Error.WriteLineAsync($"rookery admin: user '{parse.GetValue(showLogin)}' does not exist");
                return 1;
            }
            var store = await r.UserStores.EnsureStoreAsync(found, ct);
            if (parse.GetValue(common.Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { user = found, store_size = store.Size }, JsonOptions));
                return 0;
            }
            ShowUser(r, found, store.Size);
            return 0;
        }, ct));
        user.Subcommands.Add(show);
        return user;
    }

    static async Task<int> ListUsersAsync(ServerRuntime r, bool json, CancellationToken ct)
    {
        var users = await r.UserStores.ListWithStoresAsync(ct);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(users.Select(u => u.User).ToList(), JsonOptions));
            return 0;
        }
        // Hidden users are listed (as by kopano-admin -l), with the flag: hidden is only about the address book.
        var table = new Table().AddColumns("Login", "Full name", "E-mail", "Admin", "Active", "Hidden", "Store size");
        foreach (var (user, store) in users)
            table.AddRow(Markup.Escape(user.Login), Markup.Escape(user.FullName), Markup.Escape(user.Email), user.IsAdmin ? "yes" : "no", user.Active ? "yes" : "no", user.Hidden ? "yes" : "no", Size(store.Size));
        AnsiConsole.Write(table);
        return 0;
    }

    static void ShowUser(ServerRuntime r, UserAccount u, long storeSize)
    {
        var disabled = r.Config.GetList("disabled_features");
        var quota = Store.AccountQuotaPolicy.LimitsFor(u, r.ServerQuota);
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string name, string value) => grid.AddRow(name, Markup.Escape(value));
        Row("Login", u.Login);
        Row("Full name", u.FullName);
        Row("E-mail", u.Email);
        Row("Aliases", string.Join(' ', u.Aliases));
        Row("Company", u.Company);
        Row("Administrator", u.IsAdmin ? "yes" : "no");
        Row("Active", u.Active ? "yes" : "no (shared store only)");
        Row("Hidden", u.Hidden ? "yes" : "no");
        Row("Quota override", u.QuotaOverride ? "yes" : "no");
        Row("Quota warn/soft/hard", $"{Size(quota.Warn)} / {Size(quota.Soft)} / {Size(quota.Hard)}");
        Row("Store size", Size(storeSize));
        Row("Enabled features", string.Join(' ', Features.All.Where(f => Features.IsEnabled(u, f, disabled))));
        Row("Disabled features", string.Join(' ', Features.All.Where(f => !Features.IsEnabled(u, f, disabled))));
        Row("Send-as allowed for", string.Join(' ', u.SendAs));
        Row("Groups", string.Join(' ', u.Groups));
        AnsiConsole.Write(grid);
    }

    // ---- groups and companies ----

    static Command GroupCommand(CommonOptions common)
    {
        var group = new Command("group", "Manage groups");
        var name = new Argument<string>("name") { Description = "Group name" };
        var email = new Option<string?>("--email", "-e") { Description = "Group e-mail address" };
        var company = new Option<string?>("--company", "-I") { Description = "Company the group belongs to" };
        var add = new Command("add", "Create a group") { name, email, company };
        add.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
        {
            RequireDbPlugin(r, "groups come from /etc/group");
            var created = await r.Repository.CreateGroupAsync(parse.GetValue(name)!, parse.GetValue(email) ?? "", parse.GetValue(company) ?? "", ct);
            return Done(parse, common, $"group {created.Name} created", created);
        }, ct));
        group.Subcommands.Add(add);

        var deleteName = new Argument<string>("name") { Description = "Group name" };
        var delete = new Command("delete", "Delete a group") { deleteName };
        delete.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
        {
            RequireDbPlugin(r, "groups come from /etc/group");
            await r.Repository.DeleteGroupAsync(parse.GetValue(deleteName)!, ct);
            Console.WriteLine($"group {parse.GetValue(deleteName)} deleted");
            return 0;
        }, ct));
        group.Subcommands.Add(delete);

        var list = new Command("list", "List groups and their members");
        list.SetAction((parse, ct) => WithRuntime(common, parse, r => ListGroupsAsync(r, parse.GetValue(common.Json), ct), ct));
        group.Subcommands.Add(list);

        foreach (var (verb, adding) in new[] { ("add-member", true), ("remove-member", false) })
        {
            var groupName = new Argument<string>("group") { Description = "Group name" };
            var login = new Argument<string>("login") { Description = "User login" };
            var command = new Command(verb, adding ? "Add a user to a group" : "Remove a user from a group") { groupName, login };
            command.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
            {
                RequireDbPlugin(r, "group members come from /etc/group");
                if (adding)
                    await r.Repository.AddGroupMemberAsync(parse.GetValue(groupName)!, DbUserDirectory.Source, parse.GetValue(login)!, ct);
                else
                    await r.Repository.RemoveGroupMemberAsync(parse.GetValue(groupName)!, DbUserDirectory.Source, parse.GetValue(login)!, ct);
                Console.WriteLine($"{parse.GetValue(login)} {(adding ? "added to" : "removed from")} {parse.GetValue(groupName)}");
                return 0;
            }, ct));
            group.Subcommands.Add(command);
        }
        return group;
    }

    static async Task<int> ListGroupsAsync(ServerRuntime r, bool json, CancellationToken ct)
    {
        var groups = await r.Directory.ListGroupsAsync(ct);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(groups, JsonOptions));
            return 0;
        }
        var table = new Table().AddColumns("Group", "E-mail", "Company", "Hidden", "Members");
        foreach (var g in groups)
            table.AddRow(Markup.Escape(g.Name), Markup.Escape(g.Email), Markup.Escape(g.Company), g.Hidden ? "yes" : "no", Markup.Escape(string.Join(' ', g.Members)));
        AnsiConsole.Write(table);
        return 0;
    }

    // ---- stores ----

    static Command StoreCommand(CommonOptions common)
    {
        var store = new Command("store", "Orphaned stores: stores whose user is gone from the directory");
        var orphans = new Command("orphans", "List orphaned stores (kept with their contents until hooked to a user)");
        orphans.SetAction((parse, ct) => WithRuntime(common, parse, r => ListOrphansAsync(r, parse.GetValue(common.Json), ct), ct));
        store.Subcommands.Add(orphans);
        var id = new Argument<long>("store-id") { Description = "Id of the orphaned store (admin store orphans)" };
        var login = new Argument<string>("login") { Description = "User who gets the store; must not have a store yet" };
        var hook = new Command("hook", "Make an orphaned store the store of a user") { id, login };
        hook.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
        {
            var user = await r.Directory.FindUserAsync(parse.GetValue(login)!, ct) ?? throw new DirectoryException($"no user {parse.GetValue(login)}");
            try
            {
                var hooked = await r.UserStores.HookStoreAsync(parse.GetValue(id), user, ct);
                return Done(parse, common, $"store {hooked.Id} is now the store of {user.Login}", hooked);
            }
            catch (Exception e) when (e is Store.FolderOperationException or Store.StoreObjectNotFoundException)
            {
                throw new DirectoryException(e.Message);
            }
        }, ct));
        store.Subcommands.Add(hook);
        return store;
    }

    static async Task<int> ListOrphansAsync(ServerRuntime r, bool json, CancellationToken ct)
    {
        var orphans = await r.UserStores.ListOrphansAsync(ct);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(orphans, JsonOptions));
            return 0;
        }
        var table = new Table().AddColumns("Store id", "Former owner", "Size");
        foreach (var o in orphans)
            table.AddRow(o.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(o.Owner), Size(o.Size));
        AnsiConsole.Write(table);
        return 0;
    }

    static Command CompanyCommand(CommonOptions common)
    {
        var company = new Command("company", "Manage companies (tenants)");
        var name = new Argument<string>("name") { Description = "Company name" };
        var add = new Command("add", "Create a company") { name };
        add.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
            Done(parse, common, $"company {parse.GetValue(name)} created", await r.Repository.CreateCompanyAsync(parse.GetValue(name)!, ct)), ct));
        company.Subcommands.Add(add);
        var deleteName = new Argument<string>("name") { Description = "Company name" };
        var delete = new Command("delete", "Delete a company without users or groups") { deleteName };
        delete.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
        {
            await r.Repository.DeleteCompanyAsync(parse.GetValue(deleteName)!, ct);
            Console.WriteLine($"company {parse.GetValue(deleteName)} deleted");
            return 0;
        }, ct));
        company.Subcommands.Add(delete);
        var list = new Command("list", "List companies");
        list.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
        {
            var companies = await r.Repository.ListCompaniesAsync(ct);
            if (parse.GetValue(common.Json))
                Console.WriteLine(JsonSerializer.Serialize(companies, JsonOptions));
            else
                foreach (var c in companies)
                    Console.WriteLine(c.Name);
            return 0;
        }, ct));
        company.Subcommands.Add(list);
        return company;
    }

    static Command ConvertAttachmentsCommand(CommonOptions common)
    {
        var command = new Command("convert-attachments", "Move blobs stored in the database to attachment_path; safe while the server runs, resumable");
        command.SetAction((parse, ct) => WithRuntime(common, parse, async r =>
        {
            var converted = 0;
            if (Console.IsOutputRedirected || parse.GetValue(common.Json))
            {
                converted = await r.Blobs.ConvertDatabaseBlobsToFilesAsync(null, ct);
            }
            else
            {
                await AnsiConsole.Progress().StartAsync(async context =>
                {
                    var task = context.AddTask("converting attachments");
                    var progress = new Progress<(long Done, long Total)>(p =>
                    {
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                    });
                    converted = await r.Blobs.ConvertDatabaseBlobsToFilesAsync(progress, ct);
                    task.Value = task.MaxValue;
                });
            }
            Console.WriteLine($"{converted} attachments moved from the database to {r.Blobs.Files.Location}");
            if (r.Blobs.Mode == Store.Sql.AttachmentStorage.Database)
                Console.WriteLine("set attachment_storage = files in server.cfg so new attachments go to files too");
            return 0;
        }, ct));
        return command;
    }

    // ---- plumbing ----

    static void RequireDbPlugin(ServerRuntime r, string instead)
    {
        if (r.Directory is not DbUserDirectory)
            throw new DirectoryException($"not with user_plugin = {r.Directory.Name}: {instead}");
    }

    static Option<string?> YesNo(string name, string description) => new(name)
    {
        Description = description + " (yes|no)",
        Validators =
        {
            result =>
            {
                var value = result.GetValueOrDefault<string?>();
                if (value is not null && Bool(value) is null)
                    result.AddError($"{name} takes yes or no, not '{value}'");
            },
        },
    };

    static bool? Bool(string? value) => value?.ToLowerInvariant() switch
    {
        null => null,
        "yes" or "true" or "1" or "on" => true,
        "no" or "false" or "0" or "off" => false,
        _ => null,
    };

    // ---- reload ----

    static Command ReloadCommand(CommonOptions common)
    {
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the server's answer", DefaultValueFactory = _ => 15 };
        var reload = new Command("reload", "Make the running rookery serve re-read ldap.cfg and log_level (what SIGHUP and systemctl reload do); other changes are reported as needing a restart") { timeout };
        reload.SetAction(async (parse, ct) =>
        {
            var pidFile = ConfigReloader.PidFile(common.LoadServerConfig(parse), common.Paths(parse));
            var text = File.Exists(pidFile) ? (await File.ReadAllTextAsync(pidFile, ct)).Trim() : "";
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) || !System.IO.Directory.Exists($"/proc/{pid}"))
            {
                await Console.Error.WriteLineAsync(text.Length == 0
                    ? $"rookery admin reload: no running server: {pidFile} does not exist (is rookery serve running with this --config-dir/--data-dir?)"
                    : $"rookery admin reload: no running server: process {text} of {pidFile} is gone");
                return 1;
            }
            var statusFile = ConfigReloader.StatusFile(pidFile);
            File.Delete(statusFile);
            if (!ConfigReloader.SendHangup(pid))
            {
                await Console.Error.WriteLineAsync($"rookery admin reload: cannot signal process {pid}: {System.Runtime.InteropServices.Marshal.GetLastPInvokeErrorMessage()}");
                return 1;
            }
            var deadline = DateTime.UtcNow.AddSeconds(parse.GetValue(timeout));
            while (!File.Exists(statusFile))
            {
                if (DateTime.UtcNow > deadline)
                {
                    await Console.Error.WriteLineAsync($"rookery admin reload: process {pid} did not answer within {parse.GetValue(timeout)} s; see its log");
                    return 1;
                }
                await Task.Delay(50, ct);
            }
            var json = await File.ReadAllTextAsync(statusFile, ct);
            var report = ReloadReport.FromJson(json);
            if (parse.GetValue(common.Json))
                Console.WriteLine(json);
            else if (report.Ok)
                Console.WriteLine(report.Applied.Count > 0 ? "reloaded: " + string.Join("; ", report.Applied) : "reloaded: nothing changed");
            foreach (var pending in report.RestartNeeded)
                await Console.Error.WriteLineAsync("restart needed: " + pending);
            if (report.Error is not null)
                await Console.Error.WriteLineAsync("rookery admin reload: reload failed, the server runs on unchanged: " + report.Error);
            return report.Ok ? 0 : 1;
        });
        return reload;
    }

    static int Done(ParseResult parse, CommonOptions common, string message, object result)
    {
        Console.WriteLine(parse.GetValue(common.Json) ? JsonSerializer.Serialize(result, JsonOptions) : message);
        return 0;
    }

    static string Size(long bytes) => bytes switch
    {
        0 => "0",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / 1024.0 / 1024:0.#} MiB",
        _ => $"{bytes / 1024.0 / 1024 / 1024:0.##} GiB",
    };

    internal static async Task<int> WithRuntime(CommonOptions common, ParseResult parse, Func<ServerRuntime, Task<int>> action, CancellationToken ct)
    {
        ComponentConfig config;
        try
        {
            config = common.LoadServerConfig(parse);
        }
        catch (ConfigException e)
        {
            await Console.Error.WriteLineAsync($"rookery: {e.Message}");
            return 78; // EX_CONFIG
        }
        using var loggers = Logging.CreateFactory(Math.Min(config.GetInt("log_level"), 3), standardError: true);
        try
        {
            var runtime = await ServerRuntime.StartAsync(config, common.Paths(parse), loggers, ct);
            return await action(runtime);
        }
        catch (DirectoryException e)
        {
            await Console.Error.WriteLineAsync($"rookery admin: {e.Message}");
            return 1;
        }
        catch (DirectoryUnavailableException e)
        {
            await Console.Error.WriteLineAsync($"rookery: the user directory is unavailable: {e.Message}");
            return 69; // EX_UNAVAILABLE
        }
        catch (System.Data.Common.DbException e)
        {
            await Console.Error.WriteLineAsync($"rookery: database error: {e.Message}");
            return 69; // EX_UNAVAILABLE
        }
    }
}
