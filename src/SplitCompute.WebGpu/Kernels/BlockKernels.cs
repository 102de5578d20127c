using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Kernels;

/// <summary>The kernels a transformer block records (GPT-2's and the encoders' share them, in different modes).</summary>
internal static class BlockKernels
{
    /// <summary>Compiles them now, so the first request does not pay for it and a shader problem shows at load.</summary>
    /// <param name="columnsMultipleOf4">Whether every product's N is a multiple of 4 (<see cref="MatmulOp.Kernel"/>).</param>
    /// <param name="channels">C (<see cref="LayerNormOp.Kernel"/>).</param>
    /// <param name="headDim">D = C / H (<see cref="AttentionOp.Kernel"/>).</param>
    public static void CompileAll(KernelCache kernels, WeightPrecision precision, bool columnsMultipleOf4, int channels, int headDim)
    {
        _ = MatmulOp.Kernel(kernels, precision, columnsMultipleOf4);
        _ = LayerNormOp.Kernel(kernels, channels);
        _ = AttentionOp.Kernel(kernels, headDim);
    }
}
