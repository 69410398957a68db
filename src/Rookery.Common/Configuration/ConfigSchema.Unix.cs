namespace Rookery.Common.Configuration;

public static partial class ConfigSchema
{
    /// <summary>unix.cfg (the original's kopano-unix.cfg): users and groups from passwd and group.</summary>
    public static ComponentSchema Unix { get; } = new("unix",
    [
        new("min_user_uid", ParameterKind.Int, "1000",
            "Lowest uid of a passwd entry that becomes a user.")
        { Min = 0 },
        new("max_user_uid", ParameterKind.Int, "10000",
            "Highest uid of a passwd entry that becomes a user.")
        { Min = 0 },
        new("except_user_uids", ParameterKind.List, "",
            "uids within the range above that do not become users."),
        new("min_group_gid", ParameterKind.Int, "1000",
            "Lowest gid of a group entry that becomes a group.")
        { Min = 0 },
        new("max_group_gid", ParameterKind.Int, "10000",
            "Highest gid of a group entry that becomes a group.")
        { Min = 0 },
        new("except_group_gids", ParameterKind.List, "",
            "gids within the range above that do not become groups."),
        new("non_login_shell", ParameterKind.String, "/bin/false",
            "Users with this login shell become non-active users: their store exists but they cannot log in."),
        new("default_domain", ParameterKind.String, "localhost",
            "Domain appended to a user name to form the user's email address."),
        new("fullname_charset", ParameterKind.String, "iso-8859-15",
            "Character set of the full-name (GECOS) field in the passwd file."),
    ]);
}
