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
        // Replicas starting together: one creates the key under an exclusive lock file, the others wait and load it.
        // (File.Move without overwrite is check-then-rename on Unix, so it cannot decide the race by itself.)
        using (LockFile(System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(path)}.lock")))
        {
            if (File.Exists(path)) return new ManifestSigningKey(Load(path), path, created: false);
            using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var temporary = System.IO.Path.Combine(directory, $".manifest-key-{Guid.NewGuid():N}.tmp");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var writer = new StreamWriter(temporary, System.Text.Encoding.ASCII, options)) writer.Write(fresh.ExportPkcs8PrivateKeyPem());
            File.Move(temporary, path, overwrite: false);  // readers outside the lock see the whole file or none
            return new ManifestSigningKey(Load(path), path, created: true);
        }
    }

    /// <summary>An exclusive (FileShare.None) lock file, deleted when released; waits up to 10 s for another holder.</summary>
    private static FileStream LockFile(string lockPath)
    {
        var giveUp = DateTime.UtcNow.AddSeconds(10);
        for (;;)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < giveUp)
            {
                Thread.Sleep(5);
            }
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
