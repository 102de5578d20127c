namespace SplitCompute.Model.Cpu;

/// <summary>
/// OpenBLAS kernel sets (OPENBLAS_CORETYPE values) that a CPU can run, fastest first. OpenBLAS 0.3.21 (Debian 12) does not
/// know CPUs newer than it (Intel family 6 model 207, AMD family 26) and may fall back to its SSE3 "Prescott" kernels, 4x slower
/// at our shapes; choosing from the instruction sets instead of the model number avoids that.
/// Not "Cooperlake": 0.3.21 refuses that name when it is forced (its list stops one short) and detects the CPU again instead,
/// and its sgemm kernels are SkylakeX's. "Zen" and "Haswell" share their sgemm kernels too; each vendor gets its own name.
/// </summary>
public static class OpenBlasCoreTypes
{
    /// <summary>The last resort: SSE3 kernels, slow but run on every x86-64 CPU OpenBLAS supports.</summary>
    public const string Safe = "Prescott";

    /// <summary>The kernel sets to try, best first, each a fallback for the one before; empty when not x86 (OpenBLAS decides).</summary>
    public static IReadOnlyList<string> For(X86Features cpu)
    {
        if (cpu.Vendor.Length == 0) return [];
        var ladder = new List<string>(4);
        if (cpu.HasAvx512) ladder.Add("SkylakeX");
        if (cpu.HasAvx2Fma) ladder.Add(cpu.IsAmd ? "Zen" : "Haswell");
        if (cpu.HasAvx) ladder.Add("Sandybridge");
        ladder.Add(Safe);
        return ladder;
    }
}
