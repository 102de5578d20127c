using System.ComponentModel.DataAnnotations;

namespace SplitCompute.Gateway.Feedback;

/// <summary>Configuration section "Feedback": how edge clients' reported timings become their measured profiles.</summary>
public sealed class FeedbackOptions
{
    public const string Section = "Feedback";

    /// <summary>Client profiles kept (least recently used dropped beyond): ~200 bytes each.</summary>
    [Range(1, 10_000_000)]
    public int MaxClients { get; set; } = 100_000;

    /// <summary>Split decisions awaiting their feedback (least recently issued dropped beyond).</summary>
    [Range(1, 10_000_000)]
    public int MaxOutstandingDecisions { get; set; } = 100_000;

    /// <summary>Feedback for a decision older than this is refused (404): the client's conditions may have changed since.</summary>
    [Range(1, 86_400)]
    public int DecisionTtlSeconds { get; set; } = 300;

    /// <summary>Weight of a new sample in the exponentially weighted averages (1 = only the latest counts).</summary>
    [Range(0.01, 1.0)]
    public double EwmaWeight { get; set; } = 0.3;

    /// <summary>Forgetting factor of the fitted edge models: each older sample counts this much less (0.9: about the last 10).</summary>
    [Range(0.5, 1.0)]
    public double Forgetting { get; set; } = 0.9;

    /// <summary>
    /// A profile without new feedback for this long is set aside and the client is planned by its headers again. Without it, a
    /// client measured slow would be kept in the cloud and never split again, so it could never show that it got faster.
    /// </summary>
    [Range(1, 7 * 86_400)]
    public int ProfileTtlSeconds { get; set; } = 600;

    /// <summary>After an edge fell back to the cloud, that client is planned cloud-only for this long.</summary>
    [Range(0, 86_400)]
    public int FallbackCooldownSeconds { get; set; } = 30;

    /// <summary>Shard downloads smaller than this say more about latency than bandwidth and do not update the downlink.</summary>
    [Range(0, long.MaxValue)]
    public long MinDownloadBytesForDownlink { get; set; } = 256 * 1024;
}
