using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rookery.Common.Configuration;
using Rookery.Common.Tls;

namespace Rookery.Common.Tests.Tls;

/// <summary>The certificate of the secure listeners: the administrator's PEM files, or one generated on first start and kept.</summary>
public sealed class CertificateSourceTests : IDisposable
{
    readonly string data = Path.Combine(Path.GetTempPath(), "rookery_tls_" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (System.IO.Directory.Exists(data))
            System.IO.Directory.Delete(data, recursive: true);
    }

    string CertificatePath => Path.Combine(data, "tls", "self-signed-cert.pem");

    string KeyPath => Path.Combine(data, "tls", "self-signed-key.pem");

    [Fact]
    public void Without_files_a_certificate_is_generated_on_first_start_kept_private_and_reused()
    {
        using var first = CertificateSource.Load("", "", data, "mail.example.com");
        Assert.True(first.HasPrivateKey);
        Assert.Equal("CN=mail.example.com", first.Subject);
        var names = first.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();
        Assert.Equal(["mail.example.com", "localhost"], names);
        Assert.True(first.NotAfter > DateTime.Now.AddYears(9));
        Assert.True(File.Exists(CertificatePath));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));

        // the next start uses the same one, so clients that accepted it once keep accepting it
        using var second = CertificateSource.Load("", "", data, "mail.example.com");
        Assert.Equal(first.Thumbprint, second.Thumbprint);
        Assert.True(second.HasPrivateKey);
    }

    [Fact]
    public void A_kept_certificate_about_to_expire_is_replaced()
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(CertificatePath)!);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=old", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var old = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(3));
        File.WriteAllText(CertificatePath, old.ExportCertificatePem());
        File.WriteAllText(KeyPath, key.ExportPkcs8PrivateKeyPem());

        using var renewed = CertificateSource.Load("", "", data, "mail.example.com");
        Assert.NotEqual(old.Thumbprint, renewed.Thumbprint);
        Assert.Equal("CN=mail.example.com", renewed.Subject);
        Assert.True(renewed.NotAfter > DateTime.Now.AddYears(9));
    }

    [Fact]
    public void The_administrator_s_pem_files_are_used_and_a_broken_one_stops_startup_with_its_name()
    {
        // files made elsewhere, named by ssl_certificate_file and ssl_private_key_file
        var elsewhere = Path.Combine(data, "elsewhere");
        using (CertificateSource.Load("", "", elsewhere, "imap.example.org")) { }
        var certificate = Path.Combine(elsewhere, "tls", "self-signed-cert.pem");
        var key = Path.Combine(elsewhere, "tls", "self-signed-key.pem");
        using var configured = CertificateSource.Load(certificate, key, data, "mail.example.com");
        Assert.Equal("CN=imap.example.org", configured.Subject);
        Assert.True(configured.HasPrivateKey);
        Assert.False(File.Exists(CertificatePath)); // nothing generated

        // certificate and key in one file
        var combined = Path.Combine(data, "combined.pem");
        File.WriteAllText(combined, File.ReadAllText(certificate) + "\n" + File.ReadAllText(key));
        using var both = CertificateSource.Load(combined, "", data, "mail.example.com");
        Assert.Equal(configured.Thumbprint, both.Thumbprint);
        Assert.True(both.HasPrivateKey);

        var broken = Path.Combine(data, "broken.pem");
        File.WriteAllText(broken, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        var error = Assert.Throws<ConfigException>(() => CertificateSource.Load(broken, key, data, "mail.example.com"));
        Assert.StartsWith($"ssl_certificate_file = {broken}: ", error.Message);
        var missing = Assert.Throws<ConfigException>(() => CertificateSource.Load(Path.Combine(data, "absent.pem"), "", data, "mail.example.com"));
        Assert.Contains("absent.pem", missing.Message);
    }
}
