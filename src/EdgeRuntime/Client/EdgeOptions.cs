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

    /// <summary>
    /// Advertised in place of the measured downlink (Mbit/s) when set: simulated client profiles and tests. Null (the default):
    /// the link is measured (<see cref="Link.LinkEstimator"/>).
    /// </summary>
    public double? DownlinkMbps { get; init; }

    /// <summary>Advertised in place of the measured round-trip time (ms) when set; null (the default): measured.</summary>
    public double? RttMs { get; init; }

    /// <summary>
    /// After each split, download in the background the shards of the layers just below k (nearest first, within
    /// <see cref="CacheMaxBytes"/>), one at a time and never beside a request's own downloads. On by default: a long-lived
    /// client is what benefits; a one-shot process turns it off or waits for it (<see cref="EdgeClient.PrefetchCompletion"/>).
    /// </summary>
    public bool Prefetch { get; init; } = true;

    /// <summary>Sent as X-SplitCompute-Power when set (<see cref="PowerSupply.Resolve"/> reads the OS's state); null: not sent.</summary>
    public Protocol.Capabilities.PowerState? Power { get; init; }

    /// <summary>A WebGPU probe older than this is re-run in the background (requests go on with the old one meanwhile).</summary>
    public TimeSpan ProbeMaxAge { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// When this client's one-time warm-up began, as a <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> value (e.g. the
    /// process start, for a one-shot CLI); null: when the constructor began. The first request's
    /// <see cref="EdgeResult.WarmupMs"/> and total count from there.
    /// </summary>
    public long? WarmupSince { get; init; }

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
