using System.Security.Cryptography;
using System.Text;

namespace Rookery.Directory.Ldap;

/// <summary>
/// Checks a password against an LDAP password attribute value (ldap_authentication_method = password):
/// {SSHA}, {SHA}, {SSHA256}, {SHA256}, {SSHA512}, {SHA512}, {SMD5}, {MD5}, {CRYPT} or clear text.
/// </summary>
public static class PasswordAttribute
{
    public static bool Verify(string password, string stored)
    {
        var close = stored.StartsWith('{') ? stored.IndexOf('}') : -1;
        if (close < 0)
            return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(stored));
        var scheme = stored[1..close].ToUpperInvariant();
        var value = stored[(close + 1)..];
        if (scheme == "CRYPT")
            return UnixCrypt.Verify(password, value);
        Func<byte[], byte[]>? hash = scheme switch
        {
            "SHA" or "SSHA" => SHA1.HashData,
            "SHA256" or "SSHA256" => SHA256.HashData,
            "SHA512" or "SSHA512" => SHA512.HashData,
            "MD5" or "SMD5" => MD5.HashData,
            _ => null,
        };
        if (hash is null)
            return false;
        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
            return false;
        }
        var length = hash([]).Length;
        var salted = scheme is "SSHA" or "SSHA256" or "SSHA512" or "SMD5";
        if (decoded.Length < length || (!salted && decoded.Length != length))
            return false;
        var salt = decoded.AsSpan(length);
        var input = new byte[Encoding.UTF8.GetByteCount(password) + salt.Length];
        Encoding.UTF8.GetBytes(password, input);
        salt.CopyTo(input.AsSpan(input.Length - salt.Length));
        return CryptographicOperations.FixedTimeEquals(hash(input), decoded.AsSpan(0, length));
    }
}
