namespace Rookery.Common.Configuration;

public static partial class ConfigSchema
{
    /// <summary>dagent.cfg: LMTP delivery (the original's kopano-dagent).</summary>
    public static ComponentSchema Dagent { get; } = new("dagent",
    [
        new("lmtp_listen", ParameterKind.Listen, "127.0.0.1:2003",
            "Where the LMTP server listens: host:port, *:port or unix:/path (e.g. unix:/var/spool/rookery/dagent.sock for Postfix's lmtp:unix:), several separated by spaces."),
        new("lmtp_socket_mode", ParameterKind.String, "0660",
            "Permissions (octal) of unix: LMTP sockets. Postfix must be able to write to the socket: give it the socket's group (lmtp_socket_group) or use 0666 inside a directory only Postfix can enter."),
        new("lmtp_socket_group", ParameterKind.String, "",
            "Group (name or number) that owns unix: LMTP sockets, e.g. postfix; empty keeps the group of the server process."),
        new("max_message_size", ParameterKind.Int, "64",
            "Largest message accepted, in MiB; announced as SIZE in the LHLO reply.")
        { Min = 1, Max = 2047 },
        new("lmtp_max_recipients", ParameterKind.Int, "1000",
            "Recipients accepted in one LMTP transaction; more get 452 4.5.3 and the client sends them again.")
        { Min = 1 },
        new("lmtp_idle_timeout", ParameterKind.Int, "300",
            "Seconds an LMTP connection may stay idle before it is closed with 421.")
        { Min = 1 },
        new("spam_header_name", ParameterKind.String, "X-Spam-Status",
            "Header that a spam filter sets on spam; such messages go to Junk E-mail."),
        new("spam_header_value", ParameterKind.String, "Yes",
            "Value (a case-insensitive prefix) of spam_header_name that marks spam."),
        new("expand_groups", ParameterKind.Bool, "no",
            "Deliver mail for a group's address to each of its members. The original leaves this to the MTA (Postfix virtual_alias_maps); with no, a group address is an unknown recipient."),
        new("plugin_enabled", ParameterKind.Bool, "yes",
            "Run the delivery plugins listed in plugins."),
        new("plugins", ParameterKind.List, "",
            "Delivery plugins, in the order they run: movetopublic (rules in movetopublic_config), movetopublicldap (public folder named by ldap_public_folder_attribute; needs user_plugin = ldap). The container's DAGENT_PLUGINS.")
        { Allowed = ["movetopublic", "movetopublicldap"] },
        new("movetopublic_config", ParameterKind.String, "",
            "Rules of the movetopublic plugin: sections [rule1], [rule2]… each with recipient = ADDRESS and destination_folder = PATH in the public store (sub folders separated by /, created when missing). Empty: movetopublic.cfg in the configuration directory."),
        new("postfix_socketmap_listen", ParameterKind.Listen, "",
            "Where Postfix's socketmap lookups are answered (maps mailbox, alias and group, from the user plugin; see postfix.md): host:port or unix:/path, several separated by spaces, e.g. unix:/run/rookery/postfix.sock. Empty: off. Keep it on loopback or a socket: it tells whoever asks which addresses exist."),
        new("postfix_socketmap_socket_mode", ParameterKind.String, "0660",
            "Permissions (octal) of unix: socketmap sockets; Postfix's daemons (user postfix) must be able to write to them."),
        new("postfix_socketmap_socket_group", ParameterKind.String, "",
            "Group (name or number) that owns unix: socketmap sockets, e.g. postfix; empty keeps the group of the server process."),
        new("ldap_public_folder_attribute", ParameterKind.String, "kopanoResourceType",
            "movetopublicldap: the attribute of a user entry that names its public folder (the container's LDAP_PUBLIC_FOLDER_ATTRIBUTE)."),
        new("ldap_public_folder_attribute_token", ParameterKind.String, "publicFolder",
            "movetopublicldap: the token (case-sensitive) before the colon in ldap_public_folder_attribute, e.g. publicFolder:Public Stores/public (the container's LDAP_PUBLIC_FOLDER_ATTRIBUTE_TOKEN)."),
        new("log_level", ParameterKind.Int, "3",
            "Log level of the delivery agent: 0 none, 1 crit, 2 err, 3 warning, 4 notice, 5 info, 6 debug.")
        { Min = 0, Max = 6 },
    ]);
}
