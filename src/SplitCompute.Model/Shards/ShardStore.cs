namespace SplitCompute.Model.Shards;

/// <summary>
/// A directory of content-addressed shard files. Lookups accept only 64 lowercase hex characters, so no request can name a path
/// outside the directory; the resolved path is checked to stay inside it anyway.
/// </summary>
public sealed class ShardStore
{
    public const string Extension = ".safetensors";

    public ShardStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    public static bool IsValidHash(string? sha256) =>
        sha256 is { Length: 64 } && sha256.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>The file for <paramref name="sha256"/>, or null when the hash is malformed or the file is absent.</summary>
    public string? TryResolve(string? sha256)
    {
        if (!IsValidHash(sha256)) return null;
        var path = Path.GetFullPath(Path.Combine(Directory, sha256 + Extension));
        if (!path.StartsWith(Directory + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return null;
        return File.Exists(path) ? path : null;
    }

    public string PathFor(string sha256) =>
        IsValidHash(sha256) ? Path.Combine(Directory, sha256 + Extension) : throw new ArgumentException($"'{sha256}' is not a SHA-256 hex digest", nameof(sha256));
}
