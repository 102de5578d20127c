using System.Diagnostics;

namespace SplitCompute.Benchmarks.Gateway;

/// <summary>
/// Gives the load generator, redis-server, the backend and the proxy under test cores of their own (taskset; it execs the
/// program, so process ids stay those of the programs), so the proxies are compared on the same cores without wrk or the
/// backend competing with them. On machines with fewer than 8 cores (or SPLITCOMPUTE_BENCH_PIN=off) nothing is pinned.
/// Layout: wrk cores 0-1, redis-server 2, backend the next quarter, both proxies (one runs at a time) all the rest.
/// </summary>
internal static class CpuPinning
{
    private static readonly int Cores = Environment.ProcessorCount;

    public static bool Enabled { get; } = Cores >= 8 && Environment.GetEnvironmentVariable("SPLITCOMPUTE_BENCH_PIN") is not "off";

    public static string Describe() => Enabled
        ? $"cores pinned (taskset): wrk {Cpus("wrk")}, redis-server {Cpus("redis")}, backend {Cpus("backend")}, proxies {Cpus("proxy")}"
        : $"no core pinning ({Cores} cores{(Cores >= 8 ? ", SPLITCOMPUTE_BENCH_PIN=off" : "; pinning needs 8")})";

    /// <summary>A start info for <paramref name="program"/> that runs on the role's cores ("wrk", "redis", "backend", "proxy").</summary>
    public static ProcessStartInfo Start(string role, string program)
    {
        if (!Enabled) return new ProcessStartInfo(program);
        var start = new ProcessStartInfo("taskset");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Cpus(role));
        start.ArgumentList.Add(program);
        return start;
    }

    private static string Cpus(string role)
    {
        var backendCores = Math.Max(1, (Cores - 3) / 4);
        return role switch
        {
            "wrk" => "0-1",
            "redis" => "2",
            "backend" => $"3-{2 + backendCores}",
            "proxy" => $"{3 + backendCores}-{Cores - 1}",
            _ => throw new ArgumentException($"unknown role '{role}'", nameof(role)),
        };
    }
}
