using System.Diagnostics;
using SplitCompute.Model.Cpu;

namespace SplitCompute.Benchmarks;

/// <summary>
/// The four products of one GPT-2 block, (T, C) x (C, 3C), (T, C) x (C, C), (T, C) x (C, 4C), (T, 4C) x (4C, C) = 24 T C^2
/// FLOPs, through OpenBLAS's sgemm on this machine's cores: the rate issue 23 measures an edge block against. Timed right after
/// each block (not in a separate phase), so a noisy machine slows both sides of the ratio alike.
/// </summary>
internal sealed class BlockSgemmReference
{
    private readonly int _t;
    private readonly int _c;
    private readonly float[] _x;    // (T, 4C): the widest left operand
    private readonly float[] _w;    // (4C, C) or (C, 4C): the largest weight
    private readonly float[] _y;    // (T, 4C)

    public BlockSgemmReference(int t, int c)
    {
        OpenBlas.EnsureLoaded();
        (_t, _c) = (t, c);
        var random = new Random(3);
        _x = [.. Enumerable.Range(0, t * 4 * c).Select(_ => (float)random.NextDouble() - 0.5f)];
        _w = [.. Enumerable.Range(0, 4 * c * c).Select(_ => ((float)random.NextDouble() - 0.5f) * 0.1f)];
        _y = new float[t * 4 * c];
    }

    /// <summary>Milliseconds for the block's four products, once.</summary>
    public double TimeOnceMs()
    {
        var clock = Stopwatch.StartNew();
        Sgemm(_t, 3 * _c, _c);
        Sgemm(_t, _c, _c);
        Sgemm(_t, 4 * _c, _c);
        Sgemm(_t, _c, 4 * _c);
        return clock.Elapsed.TotalMilliseconds;
    }

    private unsafe void Sgemm(int m, int n, int k)
    {
        fixed (float* a = _x, b = _w, y = _y) OpenBlas.Sgemm(m, n, k, 1f, a, k, b, n, 0f, y, n);
    }
}
