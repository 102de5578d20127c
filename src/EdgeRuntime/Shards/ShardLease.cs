namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// The shards of one request, in manifest order, held (shared-locked) until disposed so that no other request or process
/// evicts or rewrites them while the tail reads them. Dispose it once the tail has run. From <see cref="ShardCache.EnsureAsync"/>
/// every shard is verified; from <see cref="ShardCache.EnsureVerifyingAsync"/> <see cref="Verified"/> may still be running.
/// </summary>
public sealed class ShardLease : IDisposable
{
    private readonly IReadOnlyList<IDisposable> _locks;

    internal ShardLease(IReadOnlyList<string> paths, long downloadedBytes, IReadOnlyList<string> evicted, IReadOnlyList<IDisposable> locks,
        Task<bool> verified)
    {
        Verified = verified;
        Paths = paths;
        DownloadedBytes = downloadedBytes;
        Evicted = evicted;
        _locks = locks;
    }

    /// <summary>Local paths of the shards, in the order they were asked for.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>Bytes this request received over the network (a resumed download counts only what it added).</summary>
    public long DownloadedBytes { get; }

    /// <summary>Hashes of shards evicted to keep the cache under its size bound after this request's shards arrived.</summary>
    public IReadOnlyList<string> Evicted { get; }

    /// <summary>
    /// True once every shard matched its SHA-256; false when a cached file did not (nothing loaded from these paths may run
    /// then). A hash that failed to read the file faults the task instead.
    /// </summary>
    public Task<bool> Verified { get; }

    public void Dispose()
    {
        // A hash still reading a file keeps its lock until it is done (its outcome no longer matters to anyone).
        try
        {
            Verified.Wait();
        }
        catch (AggregateException)
        {
        }
        foreach (var held in _locks) held.Dispose();
    }
}
