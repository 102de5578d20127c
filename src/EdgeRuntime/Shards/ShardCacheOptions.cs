namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>Where the shard cache lives, how large it may grow and how many shards download at once.</summary>
public sealed record ShardCacheOptions(string Directory)
{
    /// <summary>Default size bound: 10 GiB holds every layer of gpt2-xl in f32 (~6.2 GB) with room for a second revision.</summary>
    public const long DefaultMaxBytes = 10L * 1024 * 1024 * 1024;

    /// <summary>
    /// Size bound of the complete shards plus partial downloads. Least recently used shards are evicted after each request to
    /// get back under it; the shards the current request needs are never evicted, so one request larger than the bound still
    /// runs (the cache then holds just that request's shards).
    /// </summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>Shards downloaded at once per request: enough to fill a link whose single-stream throughput is latency-bound.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>Connection failures tolerated per shard download; each retry resumes where the last one stopped (HTTP Range).</summary>
    public int TransportAttempts { get; init; } = 3;

    /// <summary>How long to wait for another process (or request) that holds a shard's lock before giving up with an error.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Directory);
        if (MaxBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, "the shard cache's size bound must be at least 1 byte");
        if (Parallelism is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(Parallelism), Parallelism, "download parallelism must be 1 to 64");
        if (TransportAttempts is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(TransportAttempts), TransportAttempts, "transport attempts must be 1 to 100");
    }
}
