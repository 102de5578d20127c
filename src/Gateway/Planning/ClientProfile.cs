namespace SplitCompute.Gateway.Planning;

/// <summary>
/// What the client measured about itself (from its capability headers). Used only to predict this client's own latency: a client
/// that lies can only make its own answers slower, never another client's.
/// </summary>
public sealed record ClientProfile(
    double Gflops,            // sustained matrix-product rate of its GPU
    double UploadGBps,        // host -> GPU copy rate
    double DownlinkMbps,
    double RttMs,
    IReadOnlySet<string> HeldShards)  // SHA-256 hex digests or prefixes (>= 16 characters) of shards already cached
{
    /// <summary>Where <see cref="Gflops"/> and <see cref="DownlinkMbps"/> come from: "reported" (headers) or "measured (...)" (feedback).</summary>
    public string Source { get; init; } = "reported";

    /// <summary>The client's feedback said its edge failed and the cloud answered, recently: plan it cloud-only for now.</summary>
    public bool EdgeFellBackRecently { get; init; }
}

public enum SplitPreference
{
    Auto,
    None,
    Forced,
}
