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
