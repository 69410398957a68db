using System.Text;

namespace Rookery.Common.Sasl;

/// <summary>SASL PLAIN (RFC 4616) and the base64 steps of LOGIN, shared by IMAP, POP3 and SMTP submission.</summary>
public static class SaslPlain
{
    /// <summary>Decodes "authzid NUL authcid NUL password" from base64; false for anything malformed.</summary>
    public static bool TryDecode(string base64, out string authorizationId, out string login, out string password)
    {
        authorizationId = login = password = "";
        if (!TryBase64(base64, out var text))
            return false;
        var parts = text.Split('\0');
        if (parts.Length != 3 || parts[1].Length == 0)
            return false;
        (authorizationId, login, password) = (parts[0], parts[1], parts[2]);
        return true;
    }

    /// <summary>Base64 to UTF-8 text; "=" is the empty response (RFC 4959).</summary>
    public static bool TryBase64(string base64, out string text)
    {
        text = "";
        if (base64 == "=")
            return true;
        var buffer = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, buffer, out var length))
            return false;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        return true;
    }

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
