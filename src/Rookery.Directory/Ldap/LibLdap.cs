using System.DirectoryServices.Protocols;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Rookery.Directory.Ldap;

/// <summary>
/// What System.DirectoryServices.Protocols leaves out on Linux, set on the libldap handle of one of
/// its connections. It builds the URI from a host name and a port when the connection first binds,
/// so it knows no ldapi:// and StartTLS before the bind goes to libldap's default server; and it has
/// no per-connection CA file. Here the connection gets its ldap_uri entry verbatim, as ldap_initialize
/// gives it to the original, before anything is sent.
/// </summary>
static class LibLdap
{
    const int OptRestart = 0x0009;
    const int OptNetworkTimeout = 0x5005;
    const int OptUri = 0x5006;
    const int OptTlsCaCertFile = 0x6002;
    const int OptTlsNewContext = 0x600F;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate int SetOptionFunction(IntPtr ld, int option, IntPtr value);

    static readonly Lazy<SetOptionFunction> SetOption = new(LoadSetOption);

    // LDAP_OPT_ON: libldap only tells a null pointer (off) from any other.
    static readonly IntPtr On = Marshal.AllocHGlobal(sizeof(int));

    // Private fields of LdapConnection (the same in every release since .NET 5): its libldap handle, and
    // whether it has set the URI yet.
    static readonly FieldInfo? HandleField = typeof(LdapConnection).GetField("_ldapHandle", BindingFlags.Instance | BindingFlags.NonPublic);
    static readonly FieldInfo? ConnectedField = typeof(LdapConnection).GetField("_connected", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>Points <paramref name="connection"/> at <paramref name="uri"/>; it connects at the first request (StartTLS or bind).</summary>
    public static void UseUri(LdapConnection connection, string uri, TimeSpan connectTimeout)
    {
        if (HandleField is null || ConnectedField is null)
            throw new PlatformNotSupportedException("this System.DirectoryServices.Protocols does not have the fields Rookery sets the LDAP URI through");
        WithHandle(connection, ld =>
        {
            SetString(ld, OptUri, uri, "LDAP_OPT_URI");
            // A signal (SIGCHLD, the runtime's own) landing in libldap's poll() would otherwise end the
            // connect or the wait for an answer with "server unavailable": restart the poll instead.
            Check(SetOption.Value(ld, OptRestart, On), "LDAP_OPT_RESTART");
            var timeval = Marshal.AllocHGlobal(2 * sizeof(long)); // struct timeval { time_t tv_sec; suseconds_t tv_usec; }
            try
            {
                Marshal.WriteInt64(timeval, 0, (long)connectTimeout.TotalSeconds);
                Marshal.WriteInt64(timeval, sizeof(long), 0);
                Check(SetOption.Value(ld, OptNetworkTimeout, timeval), "LDAP_OPT_NETWORK_TIMEOUT");
            }
            finally
            {
                Marshal.FreeHGlobal(timeval);
            }
        });
        // LdapConnection would replace the URI with ldap://host:port at its first bind; this says it did.
        ConnectedField.SetValue(connection, true);
    }

    /// <summary>Trusts the CA certificates in <paramref name="file"/> (PEM) for this connection's TLS instead of libldap's TLS_CACERT.</summary>
    public static void TrustCaFile(LdapConnection connection, string file) => WithHandle(connection, ld =>
    {
        SetString(ld, OptTlsCaCertFile, file, "LDAP_OPT_X_TLS_CACERTFILE");
        // libldap builds its TLS context from the options once; this connection gets a new one that has the file.
        var isServer = Marshal.AllocHGlobal(sizeof(int));
        try
        {
            Marshal.WriteInt32(isServer, 0);
            Check(SetOption.Value(ld, OptTlsNewContext, isServer), $"LDAP_OPT_X_TLS_NEWCTX (is '{file}' a PEM certificate?)");
        }
        finally
        {
            Marshal.FreeHGlobal(isServer);
        }
    });

    static void WithHandle(LdapConnection connection, Action<IntPtr> action)
    {
        if (HandleField?.GetValue(connection) is not SafeHandle handle)
            throw new PlatformNotSupportedException("this System.DirectoryServices.Protocols does not expose its libldap handle where Rookery expects it");
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            action(handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }

    static void SetString(IntPtr ld, int option, string value, string name)
    {
        var text = Marshal.StringToCoTaskMemUTF8(value);
        try
        {
            Check(SetOption.Value(ld, option, text), name);
        }
        finally
        {
            Marshal.FreeCoTaskMem(text);
        }
    }

    static void Check(int result, string what)
    {
        if (result != 0)
            throw new LdapException(result, $"libldap refused {what} ({result})");
    }

    static SetOptionFunction LoadSetOption()
    {
        // The names System.DirectoryServices.Protocols itself tries; the library is already loaded by then.
        foreach (var name in new[] { "libldap.so.2", "libldap-2.6.so.0", "libldap-2.5.so.0", "libldap-2.4.so.2" })
        {
            if (NativeLibrary.TryLoad(name, out var library))
                return Marshal.GetDelegateForFunctionPointer<SetOptionFunction>(NativeLibrary.GetExport(library, "ldap_set_option"));
        }
        throw new PlatformNotSupportedException("libldap (OpenLDAP's client library) is not installed");
    }
}
