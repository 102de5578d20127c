namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// Decides whether a cached file may be used: its SHA-256 must equal its name. A file is hashed the first time this process
/// uses it and again whenever its length or modification time has changed since (a file rewritten or flipped in place
/// changes its mtime), so a corrupt file is never handed to the tail, yet a shard used by every request is hashed once.
/// </summary>
internal sealed class ShardVerifier
{
    private readonly Dictionary<string, (long Length, DateTime Modified)> _verified = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="path"/> exists and hashes to <paramref name="sha256"/>.</summary>
    public async Task<bool> IsIntactAsync(string path, string sha256, long expectedBytes, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        if (!file.Exists) return false;
        var stamp = (file.Length, file.LastWriteTimeUtc);
        lock (_verified)
        {
            if (_verified.TryGetValue(sha256, out var known) && known == stamp) return true;
        }
        if (file.Length != expectedBytes) return false;
        // On the thread pool: EnsureAsync checks its shards concurrently, so each hash gets a core of its own.
        var actual = await Task.Run(() => ShardHash.OfFile(path, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (actual != sha256) return false;
        Remember(path, sha256);
        return true;
    }

    /// <summary>
    /// True when <paramref name="path"/> is there with the expected length but this process has not verified it (as it is now):
    /// <see cref="IsIntactAsync"/> would hash it. A missing or wrongly sized file is false (it is fetched, not hashed).
    /// </summary>
    public bool NeedsHash(string path, string sha256, long expectedBytes)
    {
        var file = new FileInfo(path);
        if (!file.Exists || file.Length != expectedBytes) return false;
        lock (_verified)
        {
            return !(_verified.TryGetValue(sha256, out var known) && known == (file.Length, file.LastWriteTimeUtc));
        }
    }

    /// <summary>Records a file this process has just verified itself (a download whose hash matched).</summary>
    public void Remember(string path, string sha256)
    {
        var file = new FileInfo(path);
        lock (_verified) _verified[sha256] = (file.Length, file.LastWriteTimeUtc);
    }

    public void Forget(string sha256)
    {
        lock (_verified) _verified.Remove(sha256);
    }
}
