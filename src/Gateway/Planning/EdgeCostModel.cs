namespace SplitCompute.Gateway.Planning;

/// <summary>
/// Milliseconds a client's edge spends on a tail, as three terms fitted separately from its feedback:
///   compute(k) = ComputeFixedMs + ComputeMsPerGflop x GFLOP of layers [k, N)      (kernels, final norm, pooling)
///   load(k)    = 0 if the tail's weights are resident, else LoadFixedMs + LoadMsPerMb x MB of the tail's shards
///   overhead   = OverheadMs per split request (parsing the frame, checking cached shards, a process's own start-up)
/// Before any feedback the terms come from the client's headers (<see cref="FromReported"/>).
/// </summary>
public readonly record struct EdgeCostModel(double ComputeFixedMs, double ComputeMsPerGflop, double LoadFixedMs, double LoadMsPerMb, double OverheadMs)
{
    /// <summary>
    /// Edge overhead assumed for a client the gateway has not heard from yet. Kept small on purpose: a new client's first split
    /// already pays loading its weights (nothing is resident), and a large guess would keep it from ever splitting, so it could
    /// never report its real overhead.
    /// </summary>
    public const double UnknownClientOverheadMs = 5;

    /// <summary>From reported figures: compute at the reported GFLOP/s, loading at the reported host-to-GPU rate, no fixed terms.</summary>
    public static EdgeCostModel FromReported(double gflops, double uploadGBps, double overheadMs) =>
        new(0, 1_000.0 / Math.Max(gflops, 1e-3), 0, 1.0 / Math.Max(uploadGBps, 1e-3), overheadMs);

    public double ComputeMs(double gflop) => Math.Max(0, ComputeFixedMs + (ComputeMsPerGflop * gflop));

    public double LoadMs(double megabytes) => Math.Max(0, LoadFixedMs + (LoadMsPerMb * megabytes));

    /// <summary>The edge's effective GFLOP/s for a tail of <paramref name="gflop"/> (for people to read; the planner uses the terms).</summary>
    public double EffectiveGflops(double gflop) => gflop / Math.Max(ComputeMs(gflop), 1e-6) * 1_000;
}
