namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// What one client's feedback has shown about it: exponentially weighted averages of its edge's effective GFLOP/s (FLOPs of
/// the layers it ran over its measured edge milliseconds, so requests of different sizes average fairly), the milliseconds
/// per layer behind them, and its effective shard downlink; null where no usable sample has arrived yet.
/// </summary>
public sealed record MeasuredClientProfile(
    int Samples,
    double? EdgeGflops,
    double? EdgeMsPerLayer,
    double? DownlinkMbps,
    int Fallbacks,
    DateTimeOffset? LastFallbackAt,
    DateTimeOffset UpdatedAt)
{
    public static MeasuredClientProfile Empty(DateTimeOffset now) => new(0, null, null, null, 0, null, now);
}
