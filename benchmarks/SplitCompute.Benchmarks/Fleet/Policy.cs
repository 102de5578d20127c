namespace SplitCompute.Benchmarks.Fleet;

/// <summary>How k is chosen: the real planner, or a baseline that picks k directly (the planner's predictions are still logged).</summary>
internal enum Policy
{
    Planner,

    /// <summary>The real planner with a deployment latency objective (<c>Planner:LatencySloMs</c>, <see cref="FleetConfig.LatencySloMs"/>).</summary>
    PlannerSlo,
    CloudOnly,
    FixedK,
    MaxOffload,
}

internal static class Policies
{
    public static IReadOnlyList<Policy> All { get; } = [Policy.Planner, Policy.PlannerSlo, Policy.CloudOnly, Policy.FixedK, Policy.MaxOffload];

    public static string Name(this Policy policy) => policy switch
    {
        Policy.Planner => "planner",
        Policy.PlannerSlo => "planner+slo",
        Policy.CloudOnly => "cloud-only",
        Policy.FixedK => "fixed-k",
        Policy.MaxOffload => "max-offload",
        _ => throw new ArgumentOutOfRangeException(nameof(policy)),
    };

    /// <summary>The baseline's k for a client (capable: it sent usable capability headers); null for the planner's own choice.</summary>
    public static int? BaselineK(this Policy policy, bool capable, int layers) => policy switch
    {
        Policy.Planner or Policy.PlannerSlo => null,
        Policy.CloudOnly => layers,
        Policy.FixedK => capable ? layers / 2 : layers,
        Policy.MaxOffload => capable ? 0 : layers,
        _ => throw new ArgumentOutOfRangeException(nameof(policy)),
    };
}
