using SplitCompute.RedisConnection;

namespace SplitCompute.Redis.Tests;

/// <summary>
/// redis-server as a production deployment runs it: the default user needs a password, the product connects as an ACL user
/// limited to SplitCompute's keys, and only through TLS with a certificate from a private CA (the plain port stays on loopback
/// for the fixture's own readiness probe). Certificates are made fresh in a temporary directory.
/// </summary>
public sealed class SecuredRedisServerFixture : RedisServerFixture
{
    public const string AdminPassword = "admin-secret-for-tests";
    public const string User = "splitcompute";
    public const string UserPassword = "user-secret-for-tests";

    private readonly TestCertificates _certificates = TestCertificates.Create();

    public int TlsPort { get; } = FreePort();

    public string CaFile => _certificates.CaFile;

    public override RedisSettings ClientSettings => new()
    {
        Endpoint = $"127.0.0.1:{TlsPort}", User = User, Password = UserPassword, TlsCaFile = CaFile, ClientName = "splitcompute-tests",
    };

    protected override IEnumerable<string> ExtraArguments() =>
    [
        "--requirepass", AdminPassword,
        // The product's user: every command, but only on SplitCompute's keys and channels.
        "--user", User, "on", ">" + UserPassword, "~splitcompute:*", "&*", "+@all",
        "--tls-port", TlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--tls-cert-file", _certificates.ServerCertFile, "--tls-key-file", _certificates.ServerKeyFile, "--tls-ca-cert-file", CaFile,
        "--tls-auth-clients", "no",
    ];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _certificates.Dispose();
    }
}
