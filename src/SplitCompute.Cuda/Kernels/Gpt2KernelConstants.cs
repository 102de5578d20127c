namespace SplitCompute.Cuda.Kernels;

/// <summary>
/// The compile-time sizes of gpt2.cu's kernels, defined only here: <see cref="Defines"/> hands them to NVRTC as -D options
/// (the .cuh files refuse to compile without them) and <see cref="Gpt2Kernels"/> sizes its grids, blocks and shared memory
/// from the same constants, so a kernel and its launch cannot disagree. Where a kernel's code is written for one value, it
/// says so with a static_assert. Legend: C channels, D head size, T tokens.
/// </summary>
internal static class Gpt2KernelConstants
{
    /// <summary>LN_THREADS: threads of a LayerNorm block, one block per row.</summary>
    public const int LayerNormThreads = 256;

    /// <summary>LN_PER: channels each LayerNorm thread holds in registers.</summary>
    public const int LayerNormPerThread = 8;

    /// <summary>The widest row one LayerNorm block holds in registers.</summary>
    public const int LayerNormMaxChannels = LayerNormThreads * LayerNormPerThread;

    /// <summary>ATT_Q: queries of a CUDA-core attention block, one warp each.</summary>
    public const int AttentionQueries = 16;

    /// <summary>ATT_K: keys of a shared-memory tile, one per lane.</summary>
    public const int AttentionKeys = 32;

    /// <summary>ATT_MAX_R: head dimensions each lane accumulates (d = lane + 32 r).</summary>
    public const int AttentionDimsPerLane = 4;

    /// <summary>The largest D the CUDA-core attention holds in a warp's registers.</summary>
    public const int AttentionMaxHeadDim = 32 * AttentionDimsPerLane;

    /// <summary>MMA_D: the head size of the tensor-core attention (every GPT-2 size).</summary>
    public const int TensorCoreHeadDim = 64;

    /// <summary>MMA_Q: queries of the largest tensor-core attention block (4 warps of 16).</summary>
    public const int TensorCoreMaxQueries = 64;

    /// <summary>MMA_K: keys of a tensor-core attention tile.</summary>
    public const int TensorCoreKeyTile = 64;

    /// <summary>MMA_STAGES: key tiles in flight (cp.async stages).</summary>
    public const int TensorCoreStages = 2;

    /// <summary>MMA_MAX_T: the longest T whose key mask the tensor-core attention holds in shared memory.</summary>
    public const int TensorCoreMaxTokens = 1024;

    /// <summary>The -D options that give gpt2.cu these constants.</summary>
    public static IReadOnlyList<string> Defines { get; } =
    [
        $"-DLN_THREADS={LayerNormThreads}",
        $"-DLN_PER={LayerNormPerThread}",
        $"-DATT_Q={AttentionQueries}",
        $"-DATT_K={AttentionKeys}",
        $"-DATT_MAX_R={AttentionDimsPerLane}",
        $"-DMMA_D={TensorCoreHeadDim}",
        $"-DMMA_Q={TensorCoreMaxQueries}",
        $"-DMMA_K={TensorCoreKeyTile}",
        $"-DMMA_STAGES={TensorCoreStages}",
        $"-DMMA_MAX_T={TensorCoreMaxTokens}",
    ];
}
