namespace Rookery.Common.Configuration;

public static partial class ConfigSchema
{
    /// <summary>gateway.cfg: IMAP and POP3 (the original's kopano-gateway), with the container's listener names.</summary>
    public static ComponentSchema Gateway { get; } = new("gateway",
    [
        new("imap_listen", ParameterKind.Listen, "127.0.0.1:143",
            "Where IMAP (with STARTTLS) listens: host:port or *:port, several separated by spaces; empty turns it off. The container's IMAP_LISTEN. When set, it wins over the manual's server_bind/imap_enable/imap_port."),
        new("imaps_listen", ParameterKind.Listen, "",
            "Where IMAP over implicit TLS listens, e.g. *:993; empty (the default) turns it off. The container's IMAPS_LISTEN."),
        new("pop3_listen", ParameterKind.Listen, "127.0.0.1:110",
            "Where POP3 (with STLS) listens. The container's POP3_LISTEN."),
        new("pop3s_listen", ParameterKind.Listen, "",
            "Where POP3 over implicit TLS listens, e.g. *:995. The container's POP3S_LISTEN."),
        new("server_bind", ParameterKind.String, "",
            "The manual's address to bind the gateway to (0.0.0.0 for any); used with imap_port, imaps_port, pop3_port and pop3s_port only when the matching *_listen is not set."),
        new("imap_enable", ParameterKind.Bool, "yes",
            "The manual's switch for IMAP; only read when imap_listen is not set."),
        new("imap_port", ParameterKind.Int, "143",
            "The manual's IMAP port; only read when imap_listen is not set.")
        { Min = 1, Max = 65535 },
        new("imaps_enable", ParameterKind.Bool, "no",
            "The manual's switch for IMAPS; only read when imaps_listen is not set."),
        new("imaps_port", ParameterKind.Int, "993",
            "The manual's IMAPS port; only read when imaps_listen is not set.")
        { Min = 1, Max = 65535 },
        new("pop3_enable", ParameterKind.Bool, "yes",
            "The manual's switch for POP3; only read when pop3_listen is not set."),
        new("pop3_port", ParameterKind.Int, "110",
            "The manual's POP3 port; only read when pop3_listen is not set.")
        { Min = 1, Max = 65535 },
        new("pop3s_enable", ParameterKind.Bool, "no",
            "The manual's switch for POP3S; only read when pop3s_listen is not set."),
        new("pop3s_port", ParameterKind.Int, "995",
            "The manual's POP3S port; only read when pop3s_listen is not set.")
        { Min = 1, Max = 65535 },
        new("imap_only_mailfolders", ParameterKind.Bool, "yes",
            "Show only mail folders over IMAP; calendar, contacts, tasks, notes and journal folders stay hidden."),
        new("ssl_certificate_file", ParameterKind.String, "",
            "PEM certificate (with its chain) for IMAPS, POP3S, STARTTLS and STLS. Empty: a self-signed certificate is generated in the data directory on first use, as the container does."),
        new("ssl_private_key_file", ParameterKind.String, "",
            "PEM private key of ssl_certificate_file."),
        new("disable_plaintext_auth", ParameterKind.Bool, "yes",
            "Refuse LOGIN, USER/PASS and AUTHENTICATE PLAIN/LOGIN on connections that are not encrypted, except from the loopback interface."),
        new("imap_max_line_length", ParameterKind.Int, "65536",
            "Longest IMAP command line in octets (literals not counted); longer ones get BAD.")
        { Min = 1024 },
        new("imap_max_message_size", ParameterKind.Int, "64",
            "Largest message APPEND accepts, in MiB; announced as APPENDLIMIT.")
        { Min = 1, Max = 2047 },
        new("imap_max_nesting", ParameterKind.Int, "32",
            "Deepest nesting of parenthesised lists in an IMAP command.")
        { Min = 2, Max = 1000 },
        new("imap_idle_timeout", ParameterKind.Int, "30",
            "Minutes an authenticated IMAP connection may stay inactive (RFC 9051 asks for at least 30).")
        { Min = 30 },
        new("imap_login_timeout", ParameterKind.Int, "60",
            "Seconds a connection may take to log in.")
        { Min = 5 },
        new("imap_max_bad_commands", ParameterKind.Int, "20",
            "Commands answered BAD (unknown, malformed, too long) after which an IMAP connection is closed with BYE.")
        { Min = 1 },
        new("imap_max_connections_per_user", ParameterKind.Int, "50",
            "IMAP sessions one user may have open at once; 0 for no limit.")
        { Min = 0 },
        new("imap_max_connections_per_address", ParameterKind.Int, "100",
            "Connections (IMAP and POP3) one client address may have open at once; 0 for no limit.")
        { Min = 0 },
        new("pop3_max_line_length", ParameterKind.Int, "4096",
            "Longest POP3 command line in octets (RFC 2449 allows 255 for commands; SASL responses need more); longer ones get -ERR.")
        { Min = 512 },
        new("pop3_idle_timeout", ParameterKind.Int, "10",
            "Minutes a logged-in POP3 connection may stay inactive (RFC 1939 asks for at least 10).")
        { Min = 10 },
        new("pop3_login_timeout", ParameterKind.Int, "60",
            "Seconds a POP3 connection may stay silent before it has logged in.")
        { Min = 5 },
        new("pop3_max_bad_commands", ParameterKind.Int, "20",
            "Failed commands (unknown, out of place, wrong password) after which a POP3 connection is closed.")
        { Min = 1 },
        new("log_level", ParameterKind.Int, "3",
            "Log level of the gateway: 0 none, 1 crit, 2 err, 3 warning, 4 notice, 5 info, 6 debug.")
        { Min = 0, Max = 6 },
    ]);
}
