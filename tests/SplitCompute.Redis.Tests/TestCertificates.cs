using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SplitCompute.Redis.Tests;

/// <summary>A private CA and a server certificate it signed for 127.0.0.1 and localhost, as PEM files in a temporary directory.</summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly string _directory;

    private TestCertificates(string directory) => _directory = directory;

    public string CaFile => Path.Combine(_directory, "ca.pem");
    public string ServerCertFile => Path.Combine(_directory, "server.pem");
    public string ServerKeyFile => Path.Combine(_directory, "server.key");

    public static TestCertificates Create()
    {
        var certificates = new TestCertificates(Directory.CreateTempSubdirectory("splitcompute-redis-tls-").FullName);
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=SplitCompute test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));  // server auth
        using var server = serverRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        File.WriteAllText(certificates.CaFile, ca.ExportCertificatePem());
        File.WriteAllText(certificates.ServerCertFile, server.ExportCertificatePem());
        File.WriteAllText(certificates.ServerKeyFile, serverKey.ExportPkcs8PrivateKeyPem());
        return certificates;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
