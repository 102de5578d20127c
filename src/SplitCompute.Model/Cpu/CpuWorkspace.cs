using System.Runtime.InteropServices;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// Scratch buffers for one forward pass over R = B*T rows of width C, 64-byte aligned native memory, plus the
/// preallocated jobs that run on them. Grown when a larger batch arrives, reused otherwise: the layer loop allocates nothing.
/// </summary>
internal sealed unsafe class CpuWorkspace : IDisposable
{
    private long _capacityRows;

    public CpuWorkspace(int channels) => Channels = channels;

    public int Channels { get; }

    public float* Normed { get; private set; }     // (R, C): LayerNorm output, GEMM input
    public float* Qkv { get; private set; }        // (R, 3C)
    public float* Attention { get; private set; }  // (R, C): heads concatenated
    public float* Mlp { get; private set; }        // (R, 4C)

    public LayerNormJob LayerNorm { get; } = new();
    public BiasRowsJob Bias { get; } = new();
    public AttentionJob AttentionHeads { get; } = new();
    public GeluJob Gelu { get; } = new();

    public void EnsureRows(int rows)
    {
        if (rows <= _capacityRows) return;
        Free();
        _capacityRows = rows;
        Normed = Allocate(rows, Channels);
        Qkv = Allocate(rows, 3 * Channels);
        Attention = Allocate(rows, Channels);
        Mlp = Allocate(rows, 4 * Channels);
    }

    private static float* Allocate(long rows, long width) => (float*)NativeMemory.AlignedAlloc((nuint)(rows * width * sizeof(float)), 64);

    private void Free()
    {
        NativeMemory.AlignedFree(Normed);
        NativeMemory.AlignedFree(Qkv);
        NativeMemory.AlignedFree(Attention);
        NativeMemory.AlignedFree(Mlp);
        Normed = Qkv = Attention = Mlp = null;
        _capacityRows = 0;
    }

    public void Dispose() => Free();
}
