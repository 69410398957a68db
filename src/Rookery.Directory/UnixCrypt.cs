using System.Runtime.InteropServices;

namespace Rookery.Directory;

/// <summary>
/// crypt(3) from the system's libxcrypt, which knows every hash /etc/shadow may hold
/// (yescrypt, SHA-512, SHA-256, MD5, bcrypt).
/// </summary>
static class UnixCrypt
{
    static readonly Lock Gate = new(); // crypt() returns a static buffer

    public static bool Verify(string password, string shadowHash)
    {
        if (shadowHash.Length < 2 || shadowHash[0] is '!' or '*')
            return false; // locked or no password
        string? computed;
        lock (Gate)
        {
            var result = Crypt(password, shadowHash);
            computed = result == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(result);
        }
        if (computed is null || computed.StartsWith('*'))
            return false;
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(computed), System.Text.Encoding.ASCII.GetBytes(shadowHash));
    }

    [DllImport("libcrypt.so.1", EntryPoint = "crypt", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    static extern IntPtr Crypt(string key, string salt);
}
