using System.ComponentModel.DataAnnotations;

namespace SplitCompute.Gateway.Hosting;

/// <summary>Configuration section "Gateway".</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>host:port of redis-server, or a StackExchange.Redis configuration string (Sentinel, cluster, TLS options).</summary>
    public string RedisEndpoint { get; set; } = "127.0.0.1:6379";

    /// <summary>ACL user (Redis 6+); unset: the default user.</summary>
    public string? RedisUser { get; set; }

    public string? RedisPassword { get; set; }

    /// <summary>Connect to Redis with TLS.</summary>
    public bool RedisTls { get; set; }

    /// <summary>PEM file of a private CA that signed Redis's certificate (implies TLS); unset: the system's trust store.</summary>
    public string? RedisTlsCaFile { get; set; }

    /// <summary>The Redis connection these options describe.</summary>
    public RedisConnection.RedisSettings RedisSettings(string clientName) => new()
    {
        Endpoint = RedisEndpoint, User = RedisUser, Password = RedisPassword, Tls = RedisTls, TlsCaFile = RedisTlsCaFile, ClientName = clientName,
    };

    /// <summary>How often live load is re-read from Redis (it is never read per request).</summary>
    [Range(20, 250)]
    public int RefreshIntervalMs { get; set; } = 200;

    /// <summary>A heartbeat older than this is stale and its worker is not used.</summary>
    [Range(250, 60_000)]
    public int StaleAfterMs { get; set; } = 2_000;

    /// <summary>
    /// After Redis returns from an outage, how long last-known workers without a heartbeat in it are kept (cloud-only): Redis
    /// may have restarted empty, and a worker republishes only once its own client reconnects (backoff up to 2 s).
    /// </summary>
    [Range(0, 60_000)]
    public int RedisRecoveryGraceMs { get; set; } = 5_000;

    /// <summary>
    /// Whether GET /health lists each worker's internal address to every caller. Off by default: with API keys required, only a
    /// caller presenting a valid key sees them; without keys, nobody does unless this is on (docs/security.md, "/health").
    /// </summary>
    public bool HealthShowsWorkerAddresses { get; set; }

    /// <summary>Largest request body accepted (413 beyond).</summary>
    [Range(1_024, 64 * 1024 * 1024)]
    public long MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// A body over MaxRequestBytes but not over this is read to its end and thrown away before the 413 is written, so a client
    /// still sending it (every OpenAI SDK) reads the 413 instead of a reset connection; a larger one closes the connection.
    /// Draining costs bandwidth, never memory (one 64 KiB buffer).
    /// </summary>
    [Range(0, 1024L * 1024 * 1024)]
    public long MaxDrainBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Most connections open at once; Kestrel refuses more. Capped below the process's descriptor limit less
    /// <see cref="DescriptorReserve"/>, so a connection flood is refused instead of exhausting descriptors and killing the process.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Descriptors kept for everything but client connections (workers, Redis, shard files, logs).</summary>
    [Range(0, 100_000)]
    public int DescriptorReserve { get; set; } = 1_024;

    /// <summary>Most connections open at once from one address (counted at the socket, before authentication).</summary>
    [Range(1, 1_000_000)]
    public int MaxConnectionsPerIp { get; set; } = 256;

    /// <summary>A client must send its request line and headers within this many seconds (slowloris).</summary>
    [Range(1, 600)]
    public int HeadersTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Slowest a request body may arrive, averaged after <see cref="DataRateGraceSeconds"/> (Kestrel's MinRequestBodyDataRate;
    /// its default, 240 B/s, let a body trickled at 300 B/s hold a connection for hours). 0 turns the check off.
    /// </summary>
    [Range(0, 1_000_000_000)]
    public int MinBodyBytesPerSecond { get; set; } = 4_096;

    /// <summary>Slowest a client may read its answer (Kestrel's MinResponseDataRate): a client that stops reading is cut off. 0: off.</summary>
    [Range(0, 1_000_000_000)]
    public int MinResponseBytesPerSecond { get; set; } = 4_096;

    /// <summary>Seconds before the data rates above are enforced (a connection's slow start).</summary>
    [Range(1, 600)]
    public int DataRateGraceSeconds { get; set; } = 5;

    /// <summary>Longest a whole request body may take, whatever its rate: a body still arriving after this closes the connection.</summary>
    [Range(1, 3_600)]
    public int BodyTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Most requests one address may start per second, before authentication (a token bucket with a burst of twice this).
    /// 0 turns it off: do that (or raise it) behind a load balancer that does not pass the client's address on.
    /// </summary>
    [Range(0, 10_000_000)]
    public int MaxRequestsPerSecondPerIp { get; set; } = 2_000;

    /// <summary>Most requests the gateway works on at once; beyond it new requests are shed with 503 and Retry-After, never queued.</summary>
    [Range(1, 10_000_000)]
    public int MaxConcurrentRequests { get; set; } = 4_096;

    /// <summary>A worker that sends nothing for this long is treated as failed (the request is retried once elsewhere).</summary>
    [Range(1, 600)]
    public int WorkerTimeoutSeconds { get; set; } = 60;

    /// <summary>Seconds a client is told to wait (Retry-After) when no worker can take the request.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 2;

    /// <summary>Model used when a request names none (or "default"); empty: the only model served, if there is one.</summary>
    public string? DefaultModel { get; set; }

    /// <summary>
    /// Other names a request's <c>model</c> may use, each mapped to a served model (<c>name</c> or <c>name@revision</c>), e.g.
    /// <c>Gateway:ModelAliases:text-embedding-3-small=gpt2</c>. Matched case-insensitively; listed by GET /v1/models.
    /// </summary>
    public Dictionary<string, string> ModelAliases { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Decisions kept in the capped Redis stream for dashboards.</summary>
    [Range(100, 10_000_000)]
    public long DecisionStreamLength { get; set; } = 10_000;

    /// <summary>
    /// How long decisions gather before they go to the stream as one pipelined write (0: as soon as one is there). Under load
    /// this turns one Redis round trip and wake-up per request into one per interval; dashboards read seconds-old data anyway.
    /// </summary>
    [Range(0, 1_000)]
    public int DecisionFlushMs { get; set; } = 10;
}
