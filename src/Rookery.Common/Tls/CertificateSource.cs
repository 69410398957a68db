using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rookery.Common.Configuration;

namespace Rookery.Common.Tls;

/// <summary>
/// The server certificate for implicit TLS and STARTTLS: the configured PEM files, or a
/// self-signed certificate generated once in the data directory (as the container generates one
/// when secure listeners are on but no certificate is given).
/// </summary>
public static class CertificateSource
{
    /// <param name="certificateFile">A PEM certificate with its chain; it may hold the private key too.</param>
    /// <param name="privateKeyFile">The PEM private key; empty when <paramref name="certificateFile"/> holds it.</param>
    /// <param name="option">The option that named <paramref name="certificateFile"/>, for the error.</param>
    public static X509Certificate2 Load(string certificateFile, string privateKeyFile, string dataDirectory, string hostName, string option = "ssl_certificate_file")
    {
        if (certificateFile.Length > 0)
        {
            try
            {
                return X509Certificate2.CreateFromPemFile(certificateFile, privateKeyFile.Length > 0 ? privateKeyFile : null);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new ConfigException($"{option} = {certificateFile}: {e.Message}");
            }
        }
        var directory = Path.Combine(dataDirectory, "tls");
        var certificatePath = Path.Combine(directory, "self-signed-cert.pem");
        var keyPath = Path.Combine(directory, "self-signed-key.pem");
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            var existing = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            if (existing.NotAfter > DateTime.Now.AddDays(7))
                return existing;
        }
        System.IO.Directory.CreateDirectory(directory);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        if (hostName != "localhost")
            names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(10));
        WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
    }

    static void WritePrivate(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var writer = new StreamWriter(path, options);
        writer.Write(text);
    }
}
