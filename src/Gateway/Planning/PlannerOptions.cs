using System.ComponentModel.DataAnnotations;

namespace SplitCompute.Gateway.Planning;

/// <summary>Configuration section "Planner" (docs/split-planner.md explains each term).</summary>
public sealed class PlannerOptions
{
    public const string Section = "Planner";

    /// <summary>A split may be this fraction slower than cloud-only (0.25 = 25%).</summary>
    [Range(0.0, 10.0)]
    public double SlackFraction { get; set; } = 0.25;

    /// <summary>... plus this many milliseconds, so tiny requests are not pinned to the cloud by rounding.</summary>
    [Range(0.0, 10_000.0)]
    public double SlackMs { get; set; } = 5;

    /// <summary>No split whose predicted latency exceeds this is chosen.</summary>
    [Range(1.0, 600_000.0)]
    public double MaxLatencyMs { get; set; } = 2_000;

    /// <summary>Bytes per hidden-state element on the wire (4 = f32, which keeps split results within 1e-4 of cloud-only).</summary>
    [Range(2, 4)]
    public int HiddenBytesPerElement { get; set; } = 4;

    /// <summary>Whether `X-SplitCompute-Split: k=N` (a forced split, for tests and demos) is honoured.</summary>
    public bool AllowForcedSplit { get; set; } = true;
}
