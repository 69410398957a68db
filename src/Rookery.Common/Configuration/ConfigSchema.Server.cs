namespace Rookery.Common.Configuration;

public static partial class ConfigSchema
{
    /// <summary>server.cfg: the storage server and everything it hosts.</summary>
    public static ComponentSchema Server { get; } = new("server",
    [
        new("server_listen", ParameterKind.Listen, "127.0.0.1:236",
            "Addresses of the HTTP front end (health checks now, REST and web later); empty = no HTTP listener."),
        new("server_listen_tls", ParameterKind.Listen, "",
            "Addresses of the HTTP front end over TLS (HTTPS), as the original's server_listen_tls; empty = none. Passwords are taken over HTTPS from anywhere, over plain HTTP only from the loopback interface."),
        new("server_ssl_key_file", ParameterKind.String, "",
            "PEM file with the certificate (and its chain) and private key of server_listen_tls, as the original's. Empty: the gateway's certificate (ssl_certificate_file in gateway.cfg, or the self-signed one generated in the data directory)."),

        new("database_engine", ParameterKind.Enum, "sqlite",
            "Database that holds users, stores, folders and items.")
        { Allowed = ["sqlite", "mysql", "postgresql"] },
        new("sqlite_path", ParameterKind.String, "",
            "SQLite database file when database_engine = sqlite; empty = rookery.db in the data directory."),
        new("sqlite_state_sync_delay", ParameterKind.Int, "200",
            "Milliseconds by which the fsync of a message state change (flags, keywords, \\Recent, expunge) may follow its acknowledgement on SQLite. "
            + "The change is in the database file's log before it is acknowledged, so it survives a crash of Rookery; only a power cut within this window can undo it. "
            + "New content (APPEND, delivery, COPY, MOVE) and folder changes are always on disk before they are acknowledged. 0 = fsync every change before acknowledging it.")
        { Min = 0, Max = 10000 },

        new("mysql_host", ParameterKind.String, "localhost",
            "Host name or address of the MySQL/MariaDB server."),
        new("mysql_port", ParameterKind.Int, "3306",
            "TCP port of the MySQL/MariaDB server.")
        { Min = 1, Max = 65535 },
        new("mysql_user", ParameterKind.String, "root",
            "MySQL/MariaDB user to connect as."),
        new("mysql_password", ParameterKind.String, "",
            "Password of mysql_user.")
        { IsSecret = true },
        new("mysql_database", ParameterKind.String, "rookery",
            "MySQL/MariaDB database that holds Rookery's tables."),
        new("mysql_socket", ParameterKind.String, "",
            "Unix socket of the MySQL/MariaDB server; when set it is used instead of mysql_host and mysql_port."),

        new("postgresql_host", ParameterKind.String, "localhost",
            "Host name or address of the PostgreSQL server."),
        new("postgresql_port", ParameterKind.Int, "5432",
            "TCP port of the PostgreSQL server.")
        { Min = 1, Max = 65535 },
        new("postgresql_user", ParameterKind.String, "rookery",
            "PostgreSQL user to connect as."),
        new("postgresql_password", ParameterKind.String, "",
            "Password of postgresql_user.")
        { IsSecret = true },
        new("postgresql_database", ParameterKind.String, "rookery",
            "PostgreSQL database that holds Rookery's tables."),

        new("database_pool_size", ParameterKind.Int, "20",
            "Most database connections kept open at once.")
        { Min = 1, Max = 1000 },

        new("attachment_storage", ParameterKind.Enum, "files",
            "Where attachment contents are kept: files (under attachment_path) or in the database.")
        { Allowed = ["files", "database"] },
        new("attachment_path", ParameterKind.String, "",
            "Directory of attachment files when attachment_storage = files; empty = attachments/ in the data directory."),
        new("attachment_compression", ParameterKind.Int, "6",
            "Compression level of stored attachment contents: 0 = none, 1 = fastest, 9 = smallest. Content of 4 KiB or less is stored uncompressed.")
        { Min = 0, Max = 9 },
        new("attachment_files_min_size", ParameterKind.Int, "16384",
            "With attachment_storage = files, content (a whole message) smaller than this many bytes is kept in the database all the same, as the original kept message bodies there: a row costs less to write, read and remove than a file. 0 = all content in files.")
        { Min = 0, Max = 1048576 },

        new("user_plugin", ParameterKind.Enum, "db",
            "Where users and groups come from: db (Rookery's own database), unix (passwd and group, see unix.cfg) or ldap.")
        { Allowed = ["db", "unix", "ldap"] },
        new("user_plugin_config", ParameterKind.String, "",
            "Configuration file of the user plugin; empty = the plugin's own file in the configuration directory (unix.cfg, ldap.cfg)."),

        new("enable_hosted_kopano", ParameterKind.Bool, "no",
            "Multi-tenancy with user_plugin = ldap: users and groups belong to the company entry (ldap_company_type_attribute_value) above them."),
        new("user_safe_mode", ParameterKind.Bool, "no",
            "Never delete a store whose user is gone from the directory. Rookery keeps such orphaned stores in any case (rookery admin store orphans / hook); the option is accepted so the original's server.cfg loads."),

        new("quota_warn", ParameterKind.Int, "0",
            "Store size in MiB above which the user is warned; 0 = no limit.")
        { Min = 0 },
        new("quota_soft", ParameterKind.Int, "0",
            "Store size in MiB above which the user can no longer send mail; 0 = no limit.")
        { Min = 0 },
        new("quota_hard", ParameterKind.Int, "0",
            "Store size in MiB above which the store accepts no new items, delivered mail included; 0 = no limit.")
        { Min = 0 },

        new("disabled_features", ParameterKind.List, "imap pop3",
            "Features turned off for users who do not have them enabled individually.")
        { Allowed = ["imap", "pop3", "mobile", "outlook", "webapp"] },
        new("auth_failure_delay", ParameterKind.Int, "2",
            "Seconds a failed login waits before it is answered, doubling with each recent failure of the same login or client address up to auth_max_failure_delay.")
        { Min = 1, Max = 60 },
        new("auth_max_failure_delay", ParameterKind.Int, "15",
            "The longest a failed login waits before it is answered, in seconds.")
        { Min = 1, Max = 300 },
        new("auth_max_failures", ParameterKind.Int, "10",
            "Failed logins within auth_failure_window after which that login, and that client address, are refused without a password check until the window has passed.")
        { Min = 1 },
        new("auth_failure_window", ParameterKind.Int, "5",
            "Minutes over which failed logins are counted.")
        { Min = 1, Max = 1440 },
        new("auth_cache_size", ParameterKind.String, "1M",
            "Memory for remembering recent password checks, so that repeated logins skip the slow password hash (as Dovecot's auth_cache_size): a size with K, M or G, or a number of bytes; 0 = remember nothing. Entries are keyed by an HMAC of login, password and stored hash, and a changed password never matches an old one."),
        new("auth_cache_ttl", ParameterKind.Int, "3600",
            "Seconds a verified password is remembered.")
        { Min = 0 },
        new("auth_cache_negative_ttl", ParameterKind.Int, "3600",
            "Seconds a refused password is remembered (a refused login is still delayed and counted as auth_failure_delay says); 0 = not at all.")
        { Min = 0 },
        new("default_store_locale", ParameterKind.String, "en_US.UTF-8",
            "Locale that names the default folders (Inbox, Calendar, ...) of a newly created store."),
        new("public_store_default_rights", ParameterKind.String, "read create folder-visible",
            "Rights every user of a company has on its public folders unless an \"anyone\" grant says otherwise: a role (reviewer, author, editor, ...) or right names (read create edit-own edit-all delete-own delete-all create-subfolders folder-owner folder-contact folder-visible)."),

        new("log_level", ParameterKind.Int, "3",
            "Log verbosity: 0 none, 1 critical, 2 error, 3 warning, 4 notice, 5 info, 6 debug.")
        { Min = 0, Max = 6 },
        new("pid_file", ParameterKind.String, "",
            "File rookery serve writes its process id to, for SIGHUP and rookery admin reload; empty = rookery.pid in the data directory."),
        new("server_hostname", ParameterKind.String, "",
            "Host name the server calls itself, e.g. in generated mail; empty = the machine's host name."),

        new("blob_collect_interval", ParameterKind.Int, "3600",
            "Seconds between collections of attachment contents no item refers to any more; 0 = never collect.")
        { Min = 0 },
        new("changelog_retention", ParameterKind.Int, "90",
            "Days the change log keeps what happened to items and folders. A client that last synchronised longer ago (DAV sync-token, ActiveSync SyncKey, IMAP QRESYNC) is told its position expired and starts over from a full listing; 0 = keep everything.")
        { Min = 0 },
        new("change_poll_interval", ParameterKind.Int, "500",
            "Milliseconds between checks of the database for changes other Rookery processes committed to stores this process watches (IDLE, push); 0 = this process is the only one.")
        { Min = 0, Max = 60000 },
        new("password_hash_iterations", ParameterKind.Int, "210000",
            "PBKDF2-SHA512 iterations for passwords set from now on; existing hashes keep their own count.")
        { Min = 10000 },
    ]);
}
