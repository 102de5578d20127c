namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// What a client told the gateway about itself in the X-SplitCompute-* request headers. Every part is optional:
/// a value that failed to parse is simply absent (and reported as a warning), so the gateway plans with what it has.
/// </summary>
public sealed record ClientCapabilities
{
    public int Version { get; init; } = CapabilityBounds.Version;

    public AdapterInfo? Adapter { get; init; }

    public AdapterLimits? Limits { get; init; }

    /// <summary>WebGPU feature names, e.g. "shader-f16", in the order sent, without duplicates.</summary>
    public IReadOnlyList<string> Features { get; init; } = [];

    public PerfMeasurements? Perf { get; init; }

    public NetworkMeasurements? Network { get; init; }

    /// <summary>Lowercase hex SHA-256 hashes or prefixes (>= 16 chars) of shards the client has cached.</summary>
    public IReadOnlyList<string> HeldShards { get; init; } = [];

    /// <summary>
    /// Lowercase hex SHA-256 prefixes (>= 16 chars) of shards whose weights are loaded in the edge's device memory right now:
    /// a tail made only of them costs no loading; a tail needing any other shard is (re)loaded whole.
    /// </summary>
    public IReadOnlyList<string> ResidentShards { get; init; } = [];

    /// <summary>On battery or mains and the user's energy preference; null when the client did not say.</summary>
    public PowerState? Power { get; init; }

    public SplitPreference Split { get; init; } = SplitPreference.Auto;

    /// <summary>The client has a WebGPU adapter to run layers on (it sent X-SplitCompute-Adapter).</summary>
    public bool HasWebGpu => Adapter is not null;

    /// <summary>
    /// Enough is known to predict the edge's cost: an adapter, its measured throughput, and downlink and RTT.
    /// Without these the gateway must not split (it would be guessing), unless the split is forced.
    /// </summary>
    public bool CanPlan => HasWebGpu && Perf?.Gflops is not null && Network is { DownlinkMbps: not null, RttMs: not null };

    public bool HasFeature(string feature) => Features.Contains(feature, StringComparer.Ordinal);

    /// <summary>Whether the client holds the shard with this full lowercase hex hash (matched by the prefixes it sent).</summary>
    public bool HoldsShard(string sha256) => Matches(HeldShards, sha256);

    /// <summary>Whether this shard's weights are loaded in the client's device memory now (matched by the prefixes it sent).</summary>
    public bool HasResident(string sha256) => Matches(ResidentShards, sha256);

    private static bool Matches(IReadOnlyList<string> prefixes, string sha256)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        foreach (var prefix in prefixes)
        {
            if (sha256.StartsWith(prefix, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    // Records compare lists by reference; compare contents so a parsed copy equals the original.
    public bool Equals(ClientCapabilities? other) =>
        other is not null && Version == other.Version && Equals(Adapter, other.Adapter) && Equals(Limits, other.Limits)
        && Features.SequenceEqual(other.Features) && Equals(Perf, other.Perf) && Equals(Network, other.Network)
        && HeldShards.SequenceEqual(other.HeldShards) && ResidentShards.SequenceEqual(other.ResidentShards) && Equals(Power, other.Power)
        && Equals(Split, other.Split);

    public override int GetHashCode() =>
        HashCode.Combine(HashCode.Combine(Version, Adapter, Limits, Features.Count, Perf, Network), HeldShards.Count, ResidentShards.Count, Power, Split);
}
