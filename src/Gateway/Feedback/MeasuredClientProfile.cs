using SplitCompute.Gateway.Planning;

namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// What one client's feedback has shown about it. The planner uses the fitted models: <see cref="Compute"/> (edge compute ms
/// against the tail's GFLOP), <see cref="Load"/> (weight-loading ms against the MB loaded), the per-split
/// <see cref="OverheadMs"/>, and the measured link (<see cref="DownlinkMbps"/>, <see cref="RttMs"/>); null where no usable sample
/// has arrived yet. <see cref="EdgeGflops"/> and <see cref="EdgeMsPerLayer"/> are averages for people to read.
/// <see cref="Requests"/> counts the client's requests (feedback or not), for amortising its downloads.
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
    public OnlineLineFit? Compute { get; init; }

    public OnlineLineFit? Load { get; init; }

    public double? OverheadMs { get; init; }

    public double? RttMs { get; init; }

    public long Requests { get; init; }

    public static MeasuredClientProfile Empty(DateTimeOffset now) => new(0, null, null, null, 0, null, now);

    /// <summary>The edge cost model these measurements give, each term falling back to <paramref name="prior"/> until measured.</summary>
    public EdgeCostModel EdgeModel(EdgeCostModel prior) => new(
        Compute?.A ?? prior.ComputeFixedMs,
        Compute is { } c && c.B > 0 ? c.B : prior.ComputeMsPerGflop,
        Load?.A ?? prior.LoadFixedMs,
        Load is { } l && l.B > 0 ? l.B : prior.LoadMsPerMb,
        OverheadMs ?? prior.OverheadMs);
}
