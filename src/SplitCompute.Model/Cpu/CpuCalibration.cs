using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// Measures this machine's sustained matrix-product rate on a layer-sized product (128 x 768 x 3072, like gpt2's MLP), so an
/// edge client on the CPU backend reports real GFLOP/s in its capability headers instead of a guess.
/// </summary>
public static unsafe class CpuCalibration
{
    public static double MeasureGflops(int repetitions = 5)
    {
        const int m = 128, k = 768, n = 3072;
        OpenBlas.EnsureLoaded();
        var a = (float*)NativeMemory.AlignedAlloc((nuint)(m * k * sizeof(float)), 64);
        var b = (float*)NativeMemory.AlignedAlloc((nuint)(k * n * sizeof(float)), 64);
        var c = (float*)NativeMemory.AlignedAlloc((nuint)(m * n * sizeof(float)), 64);
        try
        {
            new Span<float>(a, m * k).Fill(0.5f);
            new Span<float>(b, k * n).Fill(0.25f);
            var best = double.MaxValue;
            for (var i = 0; i <= repetitions; i++)
            {
                var clock = Stopwatch.StartNew();
                OpenBlas.Sgemm(m, n, k, 1f, a, k, b, n, 0f, c, n);
                if (i > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds);  // the first run warms caches and threads
            }
            return 2.0 * m * n * k / best / 1e9;
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }
}
