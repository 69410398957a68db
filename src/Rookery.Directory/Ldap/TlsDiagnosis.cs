using System.Formats.Asn1;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Rookery.Directory.Ldap;

/// <summary>
/// Why TLS to an LDAP server failed, in words. libldap reports a refused certificate as "Can't contact
/// LDAP server" or "Connect error", the same as a server that is down; this does the handshake again
/// with .NET, which says what is wrong with the certificate.
/// </summary>
static class TlsDiagnosis
{
    // LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName [0] "1.3.6.1.4.1.1466.20037" } }
    static readonly byte[] StartTlsRequest = [0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, .. "1.3.6.1.4.1.1466.20037"u8];

    /// <summary>What is wrong with the TLS of <paramref name="server"/>; null when .NET finds nothing wrong, or cannot reach it either.</summary>
    public static async Task<string?> ExplainAsync(LdapServerUri server, bool startTls, string caFile, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        string? problem = null;
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(server.Host.Trim('[', ']'), server.Port, deadline.Token);
            var stream = tcp.GetStream();
            if (startTls && !await StartTlsAcceptedAsync(stream, deadline.Token))
                return "the server does not accept StartTLS";
            await using var tls = new SslStream(stream, leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = server.Host.Trim('[', ']'),
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    problem = certificate is null ? "the server sends no certificate" : Check(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), errors, caFile);
                    return problem is null;
                },
            }, deadline.Token);
            return null;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException or OperationCanceledException or AsnContentException)
        {
            return problem;
        }
    }

    static string? Check(X509Certificate2 certificate, SslPolicyErrors errors, string caFile)
    {
        var names = $"{certificate.Subject}, issued by {certificate.Issuer}";
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return $"its certificate ({names}) is not for this host name";
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (caFile.Length > 0)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.ImportFromPemFile(caFile);
        }
        if (chain.Build(certificate))
            return null;
        var reasons = string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
        var trusted = caFile.Length > 0 ? $"a CA in ldap_tls_cacert ({caFile})" : "a CA the system trusts (or name one in ldap_tls_cacert)";
        return $"its certificate ({names}) is not signed by {trusted}: {reasons}";
    }

    static async Task<bool> StartTlsAcceptedAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(StartTlsRequest, cancellationToken);
        var response = new byte[512];
        var length = 0;
        while (true)
        {
            var read = await stream.ReadAsync(response.AsMemory(length), cancellationToken);
            if (read == 0)
                return false;
            length += read;
            if (!AsnDecoder.TryReadEncodedValue(response.AsSpan(0, length), AsnEncodingRules.BER, out _, out _, out _, out _) && length < response.Length)
                continue; // not all of it yet
            // LDAPMessage { messageID, extendedResp [APPLICATION 24] { resultCode ENUMERATED, … } }
            var message = new AsnReader(response.AsMemory(0, length), AsnEncodingRules.BER).ReadSequence();
            message.ReadInteger();
            var extendedResponse = message.ReadSequence(new Asn1Tag(TagClass.Application, 24));
            return extendedResponse.ReadEnumeratedBytes().Span is [0]; // success
        }
    }
}
