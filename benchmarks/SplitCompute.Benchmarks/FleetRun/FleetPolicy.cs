using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Benchmarks.FleetRun;

/// <summary>
/// How capable clients ask for their split: the planner's choice, never split, half the layers, or all of them at the edge. The
/// baselines use the split header the gateway honours for tests and demos (Planner:AllowForcedSplit), so every policy runs
/// through the same gateway, workers and edges.
/// </summary>
internal static class FleetPolicy
{
    public static readonly string[] All = ["planner", "cloud-only", "fixed-k", "max-offload"];

    public static SplitPreference Split(string policy, int layers) => policy switch
    {
        "planner" => SplitPreference.Auto,
        "cloud-only" => SplitPreference.None,
        "fixed-k" => SplitPreference.Force(layers / 2),
        "max-offload" => SplitPreference.Force(0),
        _ => throw new ArgumentException($"unknown policy '{policy}' (known: {string.Join(", ", All)})", nameof(policy)),
    };
}
