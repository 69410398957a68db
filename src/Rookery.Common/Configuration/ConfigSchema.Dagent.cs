namespace Rookery.Common.Configuration;

public static partial class ConfigSchema
{
    /// <summary>dagent.cfg: LMTP delivery (the original's kopano-dagent).</summary>
    public static ComponentSchema Dagent { get; } = new("dagent",
    [
        new("lmtp_listen", ParameterKind.Listen, "127.0.0.1:2003",
            "Where the LMTP server listens: host:port, *:port or unix:/path (e.g. unix:/var/spool/rookery/dagent.sock for Postfix's lmtp:unix:), several separated by spaces."),
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
        new("log_level", ParameterKind.Int, "3",
            "Log level of the delivery agent: 0 none, 1 crit, 2 err, 3 warning, 4 notice, 5 info, 6 debug.")
        { Min = 0, Max = 6 },
    ]);
}
