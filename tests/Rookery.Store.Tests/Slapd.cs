using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Rookery.Store.Tests;

/// <summary>
/// A throwaway OpenLDAP server: its own cn=config (core, cosine, inetorgperson, nis and
/// deploy/ldap/rookery.ldif) and database in a temp directory, on a free loopback port,
/// stopped by its PID. Needs slapd (test.sh installs it); nothing of /etc/ldap but the schemas.
/// With <c>tls: true</c> it also listens for ldaps:// on a second port and on an ldapi:// socket, and
/// StartTLS works on ldap://, with a server certificate for 127.0.0.1 and localhost from a throwaway CA.
/// </summary>
public sealed class Slapd : IAsyncDisposable
{
    public const string Suffix = "dc=example,dc=com";
    public const string AdminDn = "cn=admin,dc=example,dc=com";
    public const string AdminPassword = "secret";
    public const string ReaderDn = "cn=reader,dc=example,dc=com";
    public const string ReaderPassword = "reader";

    readonly string directory;
    readonly bool tls;
    Process? process;

    Slapd(string directory, int port, bool tls)
    {
        this.directory = directory;
        this.tls = tls;
        Port = port;
        if (tls)
            TlsPort = FreePort();
    }

    public int Port { get; }
    public string Uri => $"ldap://127.0.0.1:{Port}/";

    /// <summary>The ldaps:// port (with <c>tls: true</c>).</summary>
    public int TlsPort { get; }
    public string LdapsUri => $"ldaps://127.0.0.1:{TlsPort}/";
    public string LdapiUri => "ldapi://" + System.Uri.EscapeDataString(Path.Combine(directory, "ldapi")) + "/";

    /// <summary>The PEM file of the CA that signed the server certificate (with <c>tls: true</c>).</summary>
    public string CaFile => Path.Combine(directory, "tls", "ca.pem");

    public static string RepositoryRoot => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    /// <summary>Builds the configuration, loads <paramref name="ldif"/> (entries under <see cref="Suffix"/>) and starts slapd.</summary>
    public static async Task<Slapd> StartAsync(string ldif, bool tls = false)
    {
        var slapd = FindBinary("slapd") ?? throw new InvalidOperationException("slapd is not installed (apt-get install slapd ldap-utils; test.sh does it)");
        var slapadd = FindBinary("slapadd") ?? throw new InvalidOperationException("slapadd is not installed");
        var directory = Path.Combine(Path.GetTempPath(), "rookery-slapd-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "config"));
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "data"));
        var schema = Path.Combine(RepositoryRoot, "deploy", "ldap", "rookery.ldif");
        var config = $$"""
            dn: cn=config
            objectClass: olcGlobal
            cn: config
            olcPidFile: {{directory}}/slapd.pid
            {{(tls ? TlsConfig(directory) : "")}}
            dn: cn=module{0},cn=config
            objectClass: olcModuleList
            cn: module{0}
            olcModulePath: /usr/lib/ldap
            olcModuleLoad: back_mdb

            dn: cn=schema,cn=config
            objectClass: olcSchemaConfig
            cn: schema

            include: file:///etc/ldap/schema/core.ldif
            include: file:///etc/ldap/schema/cosine.ldif
            include: file:///etc/ldap/schema/inetorgperson.ldif
            include: file:///etc/ldap/schema/nis.ldif
            include: file://{{schema}}

            dn: olcDatabase={-1}frontend,cn=config
            objectClass: olcDatabaseConfig
            objectClass: olcFrontendConfig
            olcDatabase: {-1}frontend
            olcSizeLimit: unlimited

            dn: olcDatabase={0}config,cn=config
            objectClass: olcDatabaseConfig
            olcDatabase: {0}config
            olcAccess: {0}to * by * none

            dn: olcDatabase={1}mdb,cn=config
            objectClass: olcDatabaseConfig
            objectClass: olcMdbConfig
            olcDatabase: {1}mdb
            olcSuffix: {{Suffix}}
            olcRootDN: {{AdminDn}}
            olcRootPW: {{AdminPassword}}
            olcDbDirectory: {{directory}}/data
            olcDbMaxSize: 67108864
            olcAccess: {0}to attrs=userPassword by self read by dn.exact="{{ReaderDn}}" read by anonymous auth by * none
            olcAccess: {1}to * by * read
            olcDbIndex: objectClass eq
            olcDbIndex: uid,mail,kopanoAliases,memberUid,member,uidNumber,gidNumber eq

            """;
        await File.WriteAllTextAsync(Path.Combine(directory, "config.ldif"), config);
        await RunAsync(slapadd, "-n0", "-F", Path.Combine(directory, "config"), "-l", Path.Combine(directory, "config.ldif"));
        var data = $"""
            dn: {Suffix}
            objectClass: dcObject
            objectClass: organization
            o: Example
            dc: example

            dn: {ReaderDn}
            objectClass: simpleSecurityObject
            objectClass: organizationalRole
            cn: reader
            userPassword: {ReaderPassword}

            {ldif}
            """;
        await File.WriteAllTextAsync(Path.Combine(directory, "data.ldif"), data);
        await RunAsync(slapadd, "-n1", "-F", Path.Combine(directory, "config"), "-l", Path.Combine(directory, "data.ldif"));
        var server = new Slapd(directory, FreePort(), tls);
        await server.LaunchAsync(slapd);
        return server;
    }

    async Task LaunchAsync(string slapd)
    {
        var start = new ProcessStartInfo(slapd) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // -d 0: stay in the foreground, so the process we started is slapd itself.
        var listen = tls ? $"{Uri} {LdapsUri} {LdapiUri}" : Uri;
        foreach (var arg in new[] { "-h", listen, "-F", Path.Combine(directory, "config"), "-d", "0" })
            start.ArgumentList.Add(arg);
        process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        for (var i = 0; i < 100; i++)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"slapd exited with {process.ExitCode} (port {Port})");
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new InvalidOperationException($"slapd does not listen on {Port} after 10 s");
    }

    /// <summary>
    /// A CA and a server certificate for 127.0.0.1 and localhost signed by it, as cn=config lines; and
    /// ssf=1: no operation but StartTLS on a connection without TLS (ldapi counts as secure).
    /// </summary>
    static string TlsConfig(string directory)
    {
        var tlsDirectory = Path.Combine(directory, "tls");
        System.IO.Directory.CreateDirectory(tlsDirectory);
        using var ca = WriteCa(Path.Combine(tlsDirectory, "ca.pem"), "Rookery test CA");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        // within the CA's validity, which was fixed a moment ago: a new "now + 1 day" may already lie past it
        using var certificate = request.Create(ca, ca.NotBefore, ca.NotAfter.AddMinutes(-1), RandomNumberGenerator.GetBytes(12));
        File.WriteAllText(Path.Combine(tlsDirectory, "server.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(tlsDirectory, "server.key"), key.ExportPkcs8PrivateKeyPem());
        return $"""
            olcTLSCACertificateFile: {tlsDirectory}/ca.pem
            olcTLSCertificateFile: {tlsDirectory}/server.pem
            olcTLSCertificateKeyFile: {tlsDirectory}/server.key
            olcSecurity: ssf=1

            """;
    }

    /// <summary>Writes the certificate of a new self-signed CA to <paramref name="pemFile"/>; returns it with its key, to sign with.</summary>
    public static X509Certificate2 WriteCa(string pemFile, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(pemFile, ca.ExportCertificatePem());
        return ca;
    }

    /// <summary>Stops the server (the directory then is down); <see cref="RestartAsync"/> brings it back.</summary>
    public async Task StopAsync()
    {
        if (process is null)
            return;
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        process.Dispose();
        process = null;
    }

    public Task RestartAsync() => process is null ? LaunchAsync(FindBinary("slapd")!) : Task.CompletedTask;

    /// <summary>Changes the directory as its administrator: deletes an entry.</summary>
    public Task DeleteAsync(string dn) => RunAsync(FindBinary("ldapdelete") ?? throw new InvalidOperationException("ldap-utils is not installed"),
        "-x", "-H", Uri, "-D", AdminDn, "-w", AdminPassword, dn);

    /// <summary>Changes the directory as its administrator: replaces one attribute of an entry.</summary>
    public async Task ReplaceAsync(string dn, string attribute, string value)
    {
        var file = Path.Combine(directory, "modify.ldif");
        await File.WriteAllTextAsync(file, $"dn: {dn}\nchangetype: modify\nreplace: {attribute}\n{attribute}: {value}\n");
        await RunAsync(FindBinary("ldapmodify") ?? throw new InvalidOperationException("ldap-utils is not installed"),
            "-x", "-H", Uri, "-D", AdminDn, "-w", AdminPassword, "-f", file);
    }

    /// <summary>An {SSHA} userPassword value, as slappasswd makes it.</summary>
    public static string Ssha(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(8);
#pragma warning disable CA5350 // {SSHA} is SHA-1 by definition; directories still hold such hashes
        var hash = SHA1.HashData([.. Encoding.UTF8.GetBytes(password), .. salt]);
#pragma warning restore CA5350
        return "{SSHA}" + Convert.ToBase64String([.. hash, .. salt]);
    }

    /// <summary>A loopback port nothing listens on.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static string? FindBinary(string name) =>
        new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin" }.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    static async Task RunAsync(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(command)} {string.Join(' ', args)} failed ({p.ExitCode}): {error}{await output}");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
