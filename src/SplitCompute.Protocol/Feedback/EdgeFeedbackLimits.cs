namespace SplitCompute.Protocol.Feedback;

/// <summary>Bounds a feedback body must respect; a reader checks them before using any value.</summary>
public static class EdgeFeedbackLimits
{
    /// <summary>Largest body accepted: a valid one is ~250 bytes.</summary>
    public const int MaxBodyBytes = 4 * 1024;

    /// <summary>No stage is longer than 10 minutes (the gateway's longest worker timeout); larger values are refused, not clamped.</summary>
    public const double MaxMs = 600_000;

    /// <summary>
    /// Smallest non-zero stage time: 1 microsecond, the precision clients write (three decimals). Anything between 0 and this is
    /// no timing, and a denormal such as 5e-324 turns every rate computed from it into infinity (issue 21).
    /// </summary>
    public const double MinNonZeroMs = 0.001;

    /// <summary>Shards downloaded for one request: at most 1 TiB.</summary>
    public const long MaxDownloadedBytes = 1L << 40;

    public const int MaxLayers = 1024;

    public const int MaxStringLength = 256;
}
