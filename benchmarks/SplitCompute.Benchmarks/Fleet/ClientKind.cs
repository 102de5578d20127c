namespace SplitCompute.Benchmarks.Fleet;

/// <summary>
/// A client profile of issue 18 (phone, laptop, desktop, no WebGPU): its true device and link, before per-client spread.
/// The edge's true cost of a tail is ComputeFixedMs + GFLOP x 1000 / GFLOP/s, plus LoadFixedMs + MB x LoadMsPerMb when the tail's
/// weights are not resident, plus OverheadMs per split (not in any stage the client times), with multiplicative noise.
/// </summary>
internal sealed record ClientKind(
    string Name, bool Capable, double Gflops, double DownlinkMbps, double RttMs,
    double ComputeFixedMs, double LoadFixedMs, double LoadMsPerMb, double OverheadMs, double UploadGBps, double OnBatteryShare)
{
    public static ClientKind Phone { get; } = new("phone", true, 50, 20, 60, 15, 20, 1.0, 8, 2, 0.6);
    public static ClientKind Laptop { get; } = new("laptop", true, 300, 100, 20, 6, 10, 0.5, 4, 8, 0.3);
    public static ClientKind Desktop { get; } = new("desktop", true, 3_000, 1_000, 5, 2, 5, 0.1, 2, 16, 0);
    public static ClientKind NoWebGpu { get; } = new("no-webgpu", false, 0, 50, 30, 0, 0, 0, 0, 0, 0);

    public static IReadOnlyList<ClientKind> All { get; } = [Phone, Laptop, Desktop, NoWebGpu];
}
