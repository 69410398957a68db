using System.Security.Cryptography;
using System.Text;

namespace Rookery.Directory;

/// <summary>
/// Salted PBKDF2-SHA512 password hashes, stored as <c>$pbkdf2-sha512$ITERATIONS$SALT$HASH</c>
/// (base64), so the work factor can rise for new passwords without breaking old ones.
/// </summary>
public sealed class PasswordHasher(int iterations = PasswordHasher.DefaultIterations)
{
    public const int DefaultIterations = 210_000;
    const string Prefix = "$pbkdf2-sha512$";
    const int SaltBytes = 16;
    const int HashBytes = 64;

    public string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, HashBytes);
        return $"{Prefix}{iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>Checks a password against a stored hash in constant time; false for malformed or empty hashes.</summary>
    public static bool Verify(string password, string stored)
    {
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var parts = stored[Prefix.Length..].Split('$');
        if (parts.Length != 3 || !int.TryParse(parts[0], out var rounds) || rounds < 1)
            return false;
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[1]);
            expected = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            return false;
        }
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, rounds, HashAlgorithmName.SHA512, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
