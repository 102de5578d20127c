namespace SplitCompute.EdgeRuntime.Link;

/// <summary>
/// This device's measured link to the gateway: exponentially weighted averages of downlink (Mbit/s) and round-trip time (ms),
/// with how many samples each has seen. Null figures have no sample yet.
/// </summary>
public sealed record LinkProfile(double? DownlinkMbps, int DownlinkSamples, double? RttMs, int RttSamples)
{
    public static LinkProfile Empty { get; } = new(null, 0, null, 0);

    /// <summary>Weight of a new sample in the averages.</summary>
    public const double EwmaWeight = 0.3;

    public LinkProfile WithDownlink(double mbps) =>
        this with { DownlinkMbps = Ewma(DownlinkMbps, mbps), DownlinkSamples = DownlinkSamples + 1 };

    public LinkProfile WithRtt(double ms) =>
        this with { RttMs = Ewma(RttMs, ms), RttSamples = RttSamples + 1 };

    private static double Ewma(double? average, double sample) => average is { } a ? a + EwmaWeight * (sample - a) : sample;
}
