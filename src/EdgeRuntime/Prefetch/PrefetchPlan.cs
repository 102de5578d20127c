using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Prefetch;

/// <summary>
/// Which shards a client is likely to need next after a split at k: the layers just below k (a less loaded gateway moves the
/// split down), nearest first, that are not cached yet, as many as fit the cache's size bound beside the tail in use.
/// </summary>
public static class PrefetchPlan
{
    /// <param name="full">The revision's whole manifest.</param>
    /// <param name="k">The split just answered: the client holds (or is fetching) [k, N).</param>
    /// <param name="isCached">Whether a shard (by SHA-256) is in the cache already.</param>
    /// <param name="budgetBytes">Cache bytes free for prefetching: the size bound less the tail of [k, N).</param>
    public static IReadOnlyList<ShardEntry> Next(ShardManifest full, int k, Func<string, bool> isCached, long budgetBytes)
    {
        ArgumentNullException.ThrowIfNull(full);
        ArgumentNullException.ThrowIfNull(isCached);
        var plan = new List<ShardEntry>();
        var used = 0L;
        for (var layer = k - 1; layer >= 0; layer--)
        {
            if (full.ForLayer(layer) is not { } entry) break;  // the manifest covers a contiguous range
            if (isCached(entry.Sha256)) continue;
            if (used + entry.Bytes > budgetBytes) break;  // nearest first: a farther layer never jumps a nearer one
            used += entry.Bytes;
            plan.Add(entry);
        }
        return plan;
    }
}
