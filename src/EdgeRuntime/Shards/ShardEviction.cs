namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// Keeps the cache under its size bound by deleting the least recently used files first. "Used" is the file's access time,
/// which the cache sets explicitly on every use (mount options such as relatime or noatime do not stop an explicit set). A
/// file is deleted only while its exclusive lock is held, so a shard that any request in any process is using (shared lock)
/// or downloading (exclusive lock) is skipped; the current request's own shards are never candidates.
/// </summary>
internal static class ShardEviction
{
    /// <summary>Deletes files until the cache holds at most <paramref name="maxBytes"/>; returns the hashes of evicted shards.</summary>
    public static IReadOnlyList<string> Run(ShardCacheLayout layout, long maxBytes, IReadOnlySet<string> keep, ShardVerifier verifier)
    {
        var files = layout.Shards().Select(f => (File: f, IsPart: false))
            .Concat(layout.Parts().Select(f => (File: f, IsPart: true)))
            .ToList();
        var total = files.Sum(f => f.File.Length);
        if (total <= maxBytes) return [];

        var evicted = new List<string>();
        foreach (var (file, isPart) in files.OrderBy(f => f.IsPart ? f.File.LastWriteTimeUtc : f.File.LastAccessTimeUtc))
        {
            if (total <= maxBytes) break;
            var hash = ShardCacheLayout.HashOf(file);
            if (keep.Contains(hash)) continue;
            using var exclusive = ShardFileLock.TryAcquire(layout.LockPath(hash), exclusive: true);
            if (exclusive is null) continue;  // in use or downloading elsewhere
            file.Refresh();
            if (!file.Exists) continue;
            var length = file.Length;
            file.Delete();
            if (!isPart)
            {
                verifier.Forget(hash);
                evicted.Add(hash);
            }
            total -= length;
        }
        return evicted;
    }
}
