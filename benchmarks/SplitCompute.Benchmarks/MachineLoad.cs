namespace SplitCompute.Benchmarks;

/// <summary>The 1, 5 and 15 minute load averages: printed before and after a timed run, since other work shares these cores.</summary>
internal static class MachineLoad
{
    public static string Average() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
