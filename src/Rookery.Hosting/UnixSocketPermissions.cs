using System.Globalization;
using System.Runtime.InteropServices;
using Rookery.Common.Configuration;

namespace Rookery.Hosting;

/// <summary>
/// The mode and group of a unix: listener's socket (lmtp_socket_mode, lmtp_socket_group), so that
/// Postfix, running as its own user, may connect and nobody else can.
/// </summary>
public sealed record UnixSocketPermissions(UnixFileMode Mode, uint? GroupId)
{
    public static UnixSocketPermissions From(ComponentConfig config, string modeName, string groupName)
    {
        var modeText = config.GetString(modeName);
        int mode;
        try
        {
            mode = Convert.ToInt32(modeText, 8);
        }
        catch (FormatException)
        {
            throw new ConfigException($"{modeName} = {modeText}: expected octal permissions such as 0660");
        }
        if (modeText.Length == 0 || mode is < 0 or > 0x1FF)
            throw new ConfigException($"{modeName} = {modeText}: expected octal permissions such as 0660");
        var group = config.GetString(groupName);
        return new UnixSocketPermissions((UnixFileMode)mode, group.Length == 0 ? null : ResolveGroup(groupName, group));
    }

    static uint ResolveGroup(string parameter, string group)
    {
        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
            return gid;
        var entry = GetGroupByName(group);
        if (entry == IntPtr.Zero)
            throw new ConfigException($"{parameter} = {group}: no such group");
        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; ... }
        return (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
    }

    /// <summary>Applies mode and group to a socket that has just been bound.</summary>
    public void ApplyTo(string path)
    {
        if (GroupId is { } gid && ChangeOwner(path, uint.MaxValue, gid) != 0)
            throw new IOException($"cannot give {path} to group {gid} (errno {Marshal.GetLastPInvokeError()})");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, Mode);
    }

    [DllImport("libc", EntryPoint = "getgrnam", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    static extern IntPtr GetGroupByName(string name);

    /// <summary>chown(2); uid (uid_t)-1 leaves the owner as it is.</summary>
    [DllImport("libc", EntryPoint = "chown", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    static extern int ChangeOwner(string path, uint uid, uint gid);
}
