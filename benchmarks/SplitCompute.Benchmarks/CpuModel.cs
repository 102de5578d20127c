using SplitCompute.Model.Cpu;

namespace SplitCompute.Benchmarks;

/// <summary>The CPU the figures came from: its name, family and model (what OpenBLAS's own detection keys on), and its features.</summary>
internal static class CpuModel
{
    public static string Describe()
    {
        var fields = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").TakeWhile(line => line.Length > 0).Select(line => line.Split(':', 2))
                .Where(pair => pair.Length == 2).GroupBy(pair => pair[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim())
            : [];
        string Field(string name) => fields.GetValueOrDefault(name, "?");
        return $"{Field("model name")} (family {Field("cpu family")}, model {Field("model")}), {X86Features.Detect()}";
    }
}
