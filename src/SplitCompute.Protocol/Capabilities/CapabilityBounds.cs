namespace SplitCompute.Protocol.Capabilities;

/// <summary>
/// The bounds a parser enforces (and a writer respects). Headers are attacker-controlled input to the gateway, so
/// everything has a limit; the values are the contract in docs/protocol.md.
/// </summary>
public static class CapabilityBounds
{
    /// <summary>The only X-SplitCompute-Version understood.</summary>
    public const int Version = 1;

    /// <summary>Max length of any capability header value, except <see cref="MaxShardsHeaderLength"/>.</summary>
    public const int MaxHeaderLength = 1024;

    /// <summary>Max length of X-SplitCompute-Shards and X-SplitCompute-Resident (256 16-char prefixes need about 4.6 KiB).</summary>
    public const int MaxShardsHeaderLength = 16 * 1024;

    public const int MaxKeyLength = 32;
    public const int MaxStringLength = 128;
    public const int MaxFeatures = 64;
    public const int MaxFeatureLength = 64;
    public const int MaxShards = 256;

    /// <summary>Shortest accepted hash prefix: 64 bits make an accidental match among a model's shards negligible.</summary>
    public const int MinShardPrefixLength = 16;

    /// <summary>Max k in "k=&lt;int&gt;".</summary>
    public const int MaxSplitK = 1024;

    /// <summary>Limits are integers in [1, 2^53 - 1] so JavaScript numbers hold them exactly.</summary>
    public const long MaxLimit = (1L << 53) - 1;

    public const double MaxGflops = 1e6;
    public const double MaxUploadGbps = 1e4;
    public const double MaxDownlinkMbps = 1e6;
    public const double MaxRttMs = 60_000;

    /// <summary>At most this many warnings are reported (plus one saying how many more there were).</summary>
    public const int MaxWarnings = 32;
}
