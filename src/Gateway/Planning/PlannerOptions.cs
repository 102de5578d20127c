using System.ComponentModel.DataAnnotations;

namespace SplitCompute.Gateway.Planning;

/// <summary>Configuration section "Planner" (docs/split-planner.md explains each term).</summary>
public sealed class PlannerOptions
{
    public const string Section = "Planner";

    /// <summary>A split may be this fraction slower than cloud-only (0.25 = 25%) ...</summary>
    [Range(0.0, 10.0)]
    public double SlackFraction { get; set; } = 0.25;

    /// <summary>... plus this many milliseconds, so tiny requests are not pinned to the cloud by rounding.</summary>
    [Range(0.0, 10_000.0)]
    public double SlackMs { get; set; } = 5;

    /// <summary>
    /// The deployment's latency objective in milliseconds (0: none). An answer within it is as good as a faster one: any split
    /// predicted to finish within it is eligible, however it compares with cloud-only, and latency below it costs nothing in the
    /// objective, so the planner spends the headroom on GPU time (least GPU within the objective, energy still weighed).
    /// Latency beyond it counts as usual.
    /// </summary>
    [Range(0.0, 3_600_000.0)]
    public double LatencySloMs { get; set; }

    /// <summary>Latency milliseconds one GPU millisecond is worth when the workers idle (the weight then grows as u / (1 - u)).</summary>
    [Range(0.0, 100.0)]
    public double IdleGpuWeight { get; set; } = 0.1;

    /// <summary>Utilisation beyond which the GPU weight stops growing (0.95 caps it at idle weight + 19).</summary>
    [Range(0.0, 0.999)]
    public double MaxUtilisation { get; set; } = 0.95;

    /// <summary>Latency milliseconds one millisecond of edge work costs a client on battery (or one that asked to save energy on mains).</summary>
    [Range(0.0, 100.0)]
    public double BatteryEdgeWeight { get; set; } = 0.5;

    /// <summary>Most requests a shard download is spread over: a client that made n requests is expected to make about n more.</summary>
    [Range(1, 1_000_000)]
    public int MaxExpectedReuse { get; set; } = 1_000;

    /// <summary>
    /// Every this many requests of a client whose edge has never been measured (no feedback yet), the planner probes it with the
    /// best split within <see cref="ProbeSlackFraction"/> instead of the usual slack, so a client that under-reports its speed gets
    /// the chance to show it. 0 turns probing off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int ProbeEvery { get; set; } = 20;

    /// <summary>How much slower than cloud-only a probe split may be predicted (1.0 = twice as slow), once per <see cref="ProbeEvery"/>.</summary>
    [Range(0.0, 100.0)]
    public double ProbeSlackFraction { get; set; } = 1.0;

    /// <summary>Bytes per hidden-state element on the wire (4 = f32, which keeps split results within 1e-4 of cloud-only).</summary>
    [Range(2, 4)]
    public int HiddenBytesPerElement { get; set; } = 4;

    /// <summary>Whether `X-SplitCompute-Split: k=N` (a forced split, for tests and demos) is honoured.</summary>
    public bool AllowForcedSplit { get; set; } = true;
}
