namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// The verified shards of one request, in manifest order, held (shared-locked) until disposed so that no other request or
/// process evicts or rewrites them while the tail reads them. Dispose it once the tail has run.
/// </summary>
public sealed class ShardLease : IDisposable
{
    private readonly IReadOnlyList<IDisposable> _locks;

    internal ShardLease(IReadOnlyList<string> paths, long downloadedBytes, IReadOnlyList<string> evicted, IReadOnlyList<IDisposable> locks)
    {
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

    public void Dispose()
    {
        foreach (var held in _locks) held.Dispose();
    }
}
