namespace SplitCompute.EdgeRuntime.Client;

/// <summary>How an edge client reaches the gateway and what it tells the planner about itself.</summary>
public sealed record EdgeOptions(Uri Gateway, string CacheDirectory)
{
    /// <summary>Model name sent in requests; null lets the gateway use its default.</summary>
    public string? Model { get; init; }

    /// <summary>Measured matrix-product rate of the device that runs the tail (GFLOP/s).</summary>
    public double Gflops { get; init; } = 10;

    /// <summary>Host-to-device copy rate (GB/s); for the CPU backend, memory bandwidth.</summary>
    public double UploadGBps { get; init; } = 5;

    public double DownlinkMbps { get; init; } = 1_000;

    public double RttMs { get; init; } = 1;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Where the tail runs. The library defaults to the CPU; `edge embed` and `demo` default to WebGPU.</summary>
    public EdgeBackend Backend { get; init; } = EdgeBackend.Cpu;

    /// <summary>Where the WebGPU probe caches its per-adapter result (null: $SPLITCOMPUTE_HOME/webgpu).</summary>
    public string? ProbeCacheDirectory { get; init; }

    /// <summary>
    /// How often a request that failed in transit (connection refused or cut, a truncated answer, 502/503/504) is sent again.
    /// Embedding requests are idempotent, so a retry is always safe; with the default backoff the retries span ~10 s, enough
    /// for a gateway process to restart on a busy machine. 0 disables retries.
    /// </summary>
    public int Retries { get; init; } = 8;

    /// <summary>First retry delay; it doubles (with jitter) up to 2 s, or follows the gateway's Retry-After.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Size bound of the shard cache (least recently used shards are evicted beyond it).</summary>
    public long CacheMaxBytes { get; init; } = Shards.ShardCacheOptions.DefaultMaxBytes;

    /// <summary>Shards downloaded at once.</summary>
    public int DownloadParallelism { get; init; } = 4;

    /// <summary>Report each split request's observed timings to the gateway (POST /v1/feedback) so it plans this device by them.</summary>
    public bool SendFeedback { get; init; } = true;

    /// <summary>Longest a feedback post may add to a request.</summary>
    public TimeSpan FeedbackTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Receives the byte counts of each request's shard downloads (e.g. the CLI's progress bar); null: none.</summary>
    public IProgress<Shards.ShardDownloadProgress>? DownloadProgress { get; init; }

    /// <summary>Sent as `Authorization: Bearer` on every request when set (gateways with Gateway:RequireApiKeys need it).</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// The gateway's manifest public key (PEM, from GET /v1/keys/manifest, obtained out of band) to pin. When set, every
    /// frame's manifest must match the revision's signed manifest or the client refuses it and falls back to the cloud. When
    /// null nothing is verified beyond each shard's SHA-256 against the frame's own manifest (whoever can alter the frame can
    /// alter both).
    /// </summary>
    public string? ManifestPublicKeyPem { get; init; }
}
