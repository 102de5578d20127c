using System.Security.Cryptography;
using SplitCompute.Gateway.Integrity;

namespace SplitCompute.Gateway.Tests.Integrity;

public sealed class ManifestSigningKeyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("splitcompute-signing-").FullName;

    [Fact]
    public void A_missing_key_is_created_private_to_the_owner_and_reloaded_unchanged()
    {
        var path = Path.Combine(_dir, "nested", "key.pem");
        string id;
        using (var created = ManifestSigningKey.LoadOrCreate(path))
        {
            Assert.True(created.Created);
            id = created.KeyId;
            Assert.StartsWith("-----BEGIN PUBLIC KEY-----", created.PublicKeyPem, StringComparison.Ordinal);
        }
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Contains("PRIVATE KEY", File.ReadAllText(path), StringComparison.Ordinal);
        using var loaded = ManifestSigningKey.LoadOrCreate(path);
        Assert.False(loaded.Created);
        Assert.Equal(id, loaded.KeyId);
    }

    [Fact]
    public async Task Replicas_starting_together_end_up_with_one_key()
    {
        // 20 rounds of 8 replicas released together (a CI run once saw two of them create a key).
        for (var round = 0; round < 20; round++)
        {
            var path = Path.Combine(_dir, $"shared-{round}.pem");
            using var start = new ManualResetEventSlim();
            var replicas = Enumerable.Range(0, 8).Select(_ => Task.Run(() => { start.Wait(); return ManifestSigningKey.LoadOrCreate(path); })).ToArray();
            start.Set();
            var keys = await Task.WhenAll(replicas);
            Assert.Single(keys.Select(k => k.KeyId).Distinct());
            Assert.Single(keys, k => k.Created);
            Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
            foreach (var key in keys) key.Dispose();
        }
    }

    [Theory]
    [InlineData("not a pem")]
    [InlineData("public")]
    [InlineData("p384")]
    public void A_bad_key_file_stops_the_gateway_with_its_path(string kind)
    {
        var path = Path.Combine(_dir, $"{kind}.pem");
        using var other = kind == "p384" ? ECDsa.Create(ECCurve.NamedCurves.nistP384) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(path, kind switch
        {
            "public" => other.ExportSubjectPublicKeyInfoPem(),
            "p384" => other.ExportPkcs8PrivateKeyPem(),
            _ => kind,
        });
        var e = Assert.Throws<InvalidOperationException>(() => ManifestSigningKey.LoadOrCreate(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
