using SplitCompute.Protocol.Feedback;

namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// The ranges a figure derived from feedback must lie in to enter a client's profile. The codec already bounds each reported
/// number; a ratio of two bounded numbers (1 TiB in 1 us) is still absurd, and a profile that held it would steer every later
/// plan of that client. Samples outside are dropped, not clamped: a clamped absurdity is still no measurement.
/// </summary>
internal static class ProfileBounds
{
    /// <summary>1 PFLOP/s: beyond any one edge device.</summary>
    public const double MaxGflops = 1e6;

    /// <summary>1 Tbit/s: beyond any client's downlink.</summary>
    public const double MaxMbps = 1e6;

    /// <summary>No stage, and so no per-layer, overhead or round-trip time, is longer than a feedback may report.</summary>
    public const double MaxMs = EdgeFeedbackLimits.MaxMs;

    /// <summary>Finite, not negative, at most <paramref name="max"/>.</summary>
    public static bool Sane(double value, double max) => value >= 0 && value <= max;
}
