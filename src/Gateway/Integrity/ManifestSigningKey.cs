using System.Security.Cryptography;

namespace SplitCompute.Gateway.Integrity;

/// <summary>
/// The gateway's manifest signing key: ECDSA P-256, read from a PEM file that replicas share, or generated and saved there on
/// first start. Saving is create-then-rename without overwrite, so replicas starting together on a shared volume end up with
/// the one key that was written first rather than each with its own.
/// </summary>
public sealed class ManifestSigningKey : IDisposable
{
    private ManifestSigningKey(ECDsa key, string path, bool created)
    {
        Key = key;
        Path = path;
        Created = created;
        KeyId = Protocol.Manifests.SignedManifest.KeyIdOf(key);
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
    }

    public ECDsa Key { get; }
    public string Path { get; }
    public bool Created { get; }
    public string KeyId { get; }

    /// <summary>The public key as SubjectPublicKeyInfo PEM: what edge devices pin.</summary>
    public string PublicKeyPem { get; }

    public static ManifestSigningKey LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path)) return new ManifestSigningKey(Load(path), path, created: false);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var temporary = System.IO.Path.Combine(directory, $".manifest-key-{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(temporary, System.Text.Encoding.ASCII, options)) writer.Write(fresh.ExportPkcs8PrivateKeyPem());
        try
        {
            File.Move(temporary, path, overwrite: false);
            return new ManifestSigningKey(Load(path), path, created: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);  // another replica saved its key first: use that one
            return new ManifestSigningKey(Load(path), path, created: false);
        }
    }

    private static ECDsa Load(string path)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
                throw new CryptographicException($"the key is {key.KeySize}-bit on curve {key.ExportParameters(false).Curve.Oid.FriendlyName}, not P-256");
            key.SignData([0], HashAlgorithmName.SHA256);  // a PEM holding only a public key fails here, not on the first manifest
            return key;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new InvalidOperationException($"manifest signing key {path}: {ex.Message} (expected an ECDSA P-256 private key in PEM; delete the file to have a new one generated)", ex);
        }
    }

    public void Dispose() => Key.Dispose();
}
