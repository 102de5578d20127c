namespace SplitCompute.Benchmarks.FleetRun;

/// <summary>
/// A kind of client in the fleet benchmark. Capable clients are real edge runtimes whose tail runs on this machine's CPU (or Dawn),
/// made <see cref="Slowdown"/> times slower by <see cref="EmulatedDevice"/> and reached over an <see cref="EmulatedLink"/>; the
/// GFLOP/s they report is deliberately not their real speed, so the gateway has to learn it. Others post OpenAI JSON.
/// </summary>
internal sealed record ClientProfile(string Name, bool Capable, double Slowdown, double DownlinkMbps, double RttMs, double ReportedGflops, bool OnBattery)
{
    public static readonly ClientProfile Desktop = new("desktop", true, 1, 1_000, 5, 300, false);
    public static readonly ClientProfile Laptop = new("laptop", true, 3, 100, 20, 100, false);
    public static readonly ClientProfile Phone = new("phone", true, 10, 20, 60, 50, true);
    public static readonly ClientProfile NoWebGpu = new("no-webgpu", false, 1, 100, 20, 0, false);

    /// <summary>The fleet's mix, cycled: 3 capable in 5 (60%), as the target fleet.</summary>
    public static readonly ClientProfile[] Mix = [Desktop, Laptop, Phone, NoWebGpu, NoWebGpu];

    public static ClientProfile ForIndex(int i) => Mix[i % Mix.Length];
}
