using Microsoft.Extensions.Logging;
using Rookery.Blobs;
using Rookery.Common.Configuration;
using Rookery.Directory;
using Rookery.Directory.Ldap;
using Rookery.Store;
using Rookery.Store.Sql;

namespace Rookery;

/// <summary>
/// The composition of the server component: database, blob store, mail store, user plugin,
/// built from server.cfg. Every verb that touches data (serve, admin, health) builds one.
/// </summary>
public sealed class ServerRuntime
{
    ServerRuntime(ComponentConfig config, RookeryPaths paths, ILoggerFactory loggers)
    {
        Config = config;
        Paths = paths;
        Loggers = loggers;
        Database = new Database(DatabaseSettingsFrom(config, paths));
        var attachmentPath = config.GetString("attachment_path") is { Length: > 0 } p ? p : Path.Combine(paths.DataDirectory, "attachments");
        var storage = config.GetString("attachment_storage") == "database" ? AttachmentStorage.Database : AttachmentStorage.Files;
        Blobs = new BlobStorage(Database, storage, ContentAddressedStore.Files(attachmentPath, config.GetInt("attachment_compression")),
            filesMinSize: config.GetInt("attachment_files_min_size"));
        Repository = new SqlDirectoryRepository(Database);
        PasswordHasher = new PasswordHasher(config.GetInt("password_hash_iterations"));
        Credentials = new CredentialCache(CredentialCacheSettings(config), TimeProvider.System);
        Directory = config.GetString("user_plugin") switch
        {
            "db" => new DbUserDirectory(Repository, Credentials),
            "unix" => new UnixUserDirectory(UnixOptions(config, paths), Repository, Credentials),
            "ldap" => new LdapUserDirectory(LdapSettings(config, paths), TimeProvider.System, loggers.CreateLogger<LdapUserDirectory>()),
            var other => throw new ConfigException($"user_plugin = {other} is not available in this version of Rookery; use db"),
        };
        ServerQuota = QuotaLimits.FromMebibytes(config.GetInt("quota_warn"), config.GetInt("quota_soft"), config.GetInt("quota_hard"));
        Notifier = new DatabaseChangeNotifier(Database, TimeSpan.FromMilliseconds(config.GetInt("change_poll_interval")), loggers.CreateLogger<DatabaseChangeNotifier>());
        Store = new SqlMailStore(Database, Blobs, new AccountQuotaPolicy(Directory, ServerQuota), Notifier);
        UserStores = new UserStores(Store, Directory, config.GetString("default_store_locale"));
        FolderGrants = new SqlFolderGrants(Database);
        FolderAccess = new FolderAccess(Store, FolderGrants, PublicDefaultRights(config));
    }

    /// <summary>auth_cache_size (bytes, or with K, M or G), auth_cache_ttl and auth_cache_negative_ttl (seconds).</summary>
    static CredentialCacheSettings CredentialCacheSettings(ComponentConfig config)
    {
        var text = config.GetString("auth_cache_size").Trim();
        var unit = text.Length > 0 ? char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L } : 1L;
        var digits = unit == 1 ? text : text[..^1];
        if (!long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) || size > long.MaxValue / unit)
            throw new ConfigException($"auth_cache_size = {text}: expected a size such as 10M, 512K or 0");
        return new CredentialCacheSettings
        {
            SizeBytes = size * unit,
            Ttl = TimeSpan.FromSeconds(config.GetInt("auth_cache_ttl")),
            NegativeTtl = TimeSpan.FromSeconds(config.GetInt("auth_cache_negative_ttl")),
        };
    }

    static FolderRights PublicDefaultRights(ComponentConfig config)
    {
        var text = config.GetString("public_store_default_rights");
        return FolderRoles.TryParse(text, out var rights)
            ? rights
            : throw new ConfigException($"public_store_default_rights = {text}: expected a role (reviewer, author, …) or rights (read create folder-visible …)");
    }

    static UnixDirectoryOptions UnixOptions(ComponentConfig server, RookeryPaths paths)
    {
        var file = server.GetString("user_plugin_config") is { Length: > 0 } f ? f : Path.Combine(paths.ConfigDirectory, ConfigSchema.Unix.FileName);
        var unix = ConfigLoader.LoadFile(ConfigSchema.Unix, file, ConfigLoader.ProcessEnvironment(), new Dictionary<string, string>());
        return new UnixDirectoryOptions
        {
            MinUserUid = unix.GetInt("min_user_uid"),
            MaxUserUid = unix.GetInt("max_user_uid"),
            ExceptUserUids = Ids(unix, "except_user_uids"),
            MinGroupGid = unix.GetInt("min_group_gid"),
            MaxGroupGid = unix.GetInt("max_group_gid"),
            ExceptGroupGids = Ids(unix, "except_group_gids"),
            NonLoginShell = unix.GetString("non_login_shell"),
            DefaultDomain = unix.GetString("default_domain"),
            FullNameCharset = unix.GetString("fullname_charset"),
        };
    }

    /// <summary>ldap.cfg (user_plugin_config, else ldap.cfg in the configuration directory) and LDAP_* environment variables.</summary>
    public static LdapSettings LdapSettings(ComponentConfig server, RookeryPaths paths) =>
        Rookery.Directory.Ldap.LdapSettings.From(LoadLdapConfig(server, paths), server.GetBool("enable_hosted_kopano"));

    /// <summary>ldap.cfg as loaded, before it becomes <see cref="Directory.Ldap.LdapSettings"/>.</summary>
    public static ComponentConfig LoadLdapConfig(ComponentConfig server, RookeryPaths paths)
    {
        var file = server.GetString("user_plugin_config") is { Length: > 0 } f ? f : Path.Combine(paths.ConfigDirectory, ConfigSchema.Ldap.FileName);
        return ConfigLoader.LoadFile(ConfigSchema.Ldap, file, ConfigLoader.ProcessEnvironment(), new Dictionary<string, string>());
    }

    static List<int> Ids(ComponentConfig config, string name) =>
        config.GetList(name).Select(id => int.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n : throw new ConfigException($"{name}: '{id}' is not a numeric id")).ToList();

    public ComponentConfig Config { get; }
    /// <summary>Recent password checks, shared by every login of the process (auth_cache_*).</summary>
    public CredentialCache Credentials { get; }
    public RookeryPaths Paths { get; }
    public ILoggerFactory Loggers { get; }
    public Database Database { get; }
    public BlobStorage Blobs { get; }
    public SqlDirectoryRepository Repository { get; }
    public PasswordHasher PasswordHasher { get; }
    public IUserDirectory Directory { get; }
    public QuotaLimits ServerQuota { get; }
    public DatabaseChangeNotifier Notifier { get; }
    public SqlMailStore Store { get; }
    public UserStores UserStores { get; }
    public SqlFolderGrants FolderGrants { get; }
    public FolderAccess FolderAccess { get; }

    /// <summary>Loads server.cfg and opens the database, creating or upgrading the schema.</summary>
    public static async Task<ServerRuntime> StartAsync(ComponentConfig config, RookeryPaths paths, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(paths.DataDirectory);
        var runtime = new ServerRuntime(config, paths, loggers);
        await new SchemaMigrator(runtime.Database, loggers.CreateLogger<SchemaMigrator>()).MigrateAsync(cancellationToken);
        return runtime;
    }

    public static DatabaseSettings DatabaseSettingsFrom(ComponentConfig config, RookeryPaths paths) => config.GetString("database_engine") switch
    {
        "mysql" => new DatabaseSettings(DatabaseEngine.MySql)
        {
            Host = config.GetString("mysql_host"),
            Port = config.GetInt("mysql_port"),
            User = config.GetString("mysql_user"),
            Password = config.GetString("mysql_password"),
            Database = config.GetString("mysql_database"),
            Socket = config.GetString("mysql_socket"),
            PoolSize = config.GetInt("database_pool_size"),
        },
        "postgresql" => new DatabaseSettings(DatabaseEngine.PostgreSql)
        {
            Host = config.GetString("postgresql_host"),
            Port = config.GetInt("postgresql_port"),
            User = config.GetString("postgresql_user"),
            Password = config.GetString("postgresql_password"),
            Database = config.GetString("postgresql_database"),
            PoolSize = config.GetInt("database_pool_size"),
        },
        _ => new DatabaseSettings(DatabaseEngine.Sqlite)
        {
            SqlitePath = config.GetString("sqlite_path") is { Length: > 0 } path ? path : Path.Combine(paths.DataDirectory, "rookery.db"),
            PoolSize = config.GetInt("database_pool_size"),
            StateSyncDelay = TimeSpan.FromMilliseconds(config.GetInt("sqlite_state_sync_delay")),
        },
    };

    /// <summary>The delivery agent with dagent.cfg's settings and plugins, for LMTP and pipe delivery alike.</summary>
    public Dagent.DeliveryAgent CreateDeliveryAgent(ComponentConfig dagent) =>
        new(Store, Directory, UserStores, new Dagent.DeliveryOptions
        {
            SpamHeaderName = dagent.GetString("spam_header_name"),
            SpamHeaderValue = dagent.GetString("spam_header_value"),
            ExpandGroups = dagent.GetBool("expand_groups"),
            Plugins = dagent.GetBool("plugin_enabled") ? dagent.GetList("plugins").Select(name => CreatePlugin(name, dagent)).ToList() : [],
            Structure = new Dagent.MimeStructureDescriber(),
        }, Loggers.CreateLogger<Dagent.DeliveryAgent>());

    Dagent.Plugins.IDeliveryPlugin CreatePlugin(string name, ComponentConfig dagent)
    {
        switch (name)
        {
            case Dagent.Plugins.MoveToPublicPlugin.PluginName:
                var file = dagent.GetString("movetopublic_config") is { Length: > 0 } f ? f : Path.Combine(Paths.ConfigDirectory, "movetopublic.cfg");
                IReadOnlyDictionary<string, string> rules;
                try
                {
                    rules = Dagent.Plugins.MoveToPublicPlugin.ReadRules(file);
                }
                catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
                {
                    throw new ConfigException($"plugins = movetopublic: {e.Message}");
                }
                return new Dagent.Plugins.MoveToPublicPlugin(Store, rules, Config.GetString("default_store_locale"), Loggers.CreateLogger<Dagent.Plugins.MoveToPublicPlugin>());
            case Dagent.Plugins.MoveToPublicLdapPlugin.PluginName:
                if (Directory is not LdapUserDirectory ldap)
                    throw new ConfigException($"plugins = movetopublicldap needs user_plugin = ldap (it is {Directory.Name}); use movetopublic with movetopublic.cfg instead");
                return new Dagent.Plugins.MoveToPublicLdapPlugin(Store, ldap, dagent.GetString("ldap_public_folder_attribute"), dagent.GetString("ldap_public_folder_attribute_token"),
                    Config.GetString("default_store_locale"), Loggers.CreateLogger<Dagent.Plugins.MoveToPublicLdapPlugin>());
            default:
                throw new ConfigException($"plugins = {name}: no such delivery plugin");
        }
    }

    /// <summary>Reports whether the database answers and the blob store is writable.</summary>
    public async Task<HealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        string database, blobs;
        try
        {
            var version = await new SchemaMigrator(Database).CurrentVersionAsync(cancellationToken);
            database = version == SchemaMigrator.LatestVersion ? "ok" : $"schema version {version}, expected {SchemaMigrator.LatestVersion}";
        }
        catch (Exception e)
        {
            database = "unreachable: " + e.Message;
        }
        try
        {
            using var probe = await Blobs.Files.StageAsync(new MemoryStream("health"u8.ToArray()), 0, cancellationToken);
            blobs = "ok";
        }
        catch (Exception e)
        {
            blobs = "unwritable: " + e.Message;
        }
        return new HealthReport(database == "ok" && blobs == "ok", database, blobs);
    }
}

public sealed record HealthReport(bool Healthy, string Database, string Blobs)
{
    /// <summary>The JSON both <c>rookery health --json</c> and <c>GET /health</c> answer with.</summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["status"] = Healthy ? "healthy" : "unhealthy",
        ["database"] = Database,
        ["blobs"] = Blobs,
    });
}
