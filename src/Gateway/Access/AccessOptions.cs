using System.ComponentModel.DataAnnotations;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// Access control, bound from the "Gateway" section next to <see cref="Hosting.GatewayOptions"/> (so the settings read
/// Gateway:RequireApiKeys etc.). Off by default so a local `up`, the demo and plain tests need no key; deployments turn it on.
/// </summary>
public sealed class AccessOptions
{
    /// <summary>When true, every /v1/ endpoint except the manifest public key needs an API key (401 without, 403 revoked).</summary>
    public bool RequireApiKeys { get; set; }

    /// <summary>
    /// With a cluster secret, refuse keys without its MAC before any Redis lookup (<see cref="ApiKeyMac"/>). Turn off only to keep
    /// keys made before MACs existed working while they are replaced (they are then looked up like any well-formed key).
    /// </summary>
    public bool RequireKeyMac { get; set; } = true;

    /// <summary>
    /// How long a key lookup is reused before Redis is asked again: a revocation takes effect on every replica within this
    /// many seconds. Also how long an unknown key's "no such key" is remembered.
    /// </summary>
    [Range(0, 300)]
    public double ApiKeyCacheSeconds { get; set; } = 2;

    /// <summary>Known keys kept in the lookup cache per replica; the least recently used is dropped beyond it.</summary>
    [Range(16, 10_000_000)]
    public int ApiKeyCacheEntries { get; set; } = 10_000;

    /// <summary>
    /// Well-formed keys Redis does not know, remembered apart from the known ones (least recently used dropped beyond it), so a
    /// flood of invented keys never pushes a real key out of the cache.
    /// </summary>
    [Range(16, 10_000_000)]
    public int ApiKeyUnknownCacheEntries { get; set; } = 10_000;

    /// <summary>
    /// How long a concurrency slot is held at most. A gateway that dies mid-request cannot release its slots; they expire after
    /// this. A request running longer than this stops counting against its key's concurrency.
    /// </summary>
    [Range(1, 3_600)]
    public int ConcurrencyLeaseSeconds { get; set; } = 120;

    /// <summary>Browser origins allowed by CORS (exact, e.g. "https://app.example"); empty: no cross-origin access.</summary>
    public string[] CorsAllowedOrigins { get; set; } = [];

    /// <summary>How long browsers may cache a CORS preflight answer.</summary>
    [Range(0, 86_400)]
    public int CorsMaxAgeSeconds { get; set; } = 600;
}
