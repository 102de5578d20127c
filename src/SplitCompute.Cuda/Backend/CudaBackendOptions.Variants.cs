namespace SplitCompute.Cuda.Backend;

/// <summary>
/// The variants of <see cref="CudaBackend"/> that benchmarks and tests compare with the serving configuration (ablations, the
/// parity of each kernel variant): internal, since the defaults are what the product runs and none is a deployment's choice.
/// </summary>
public sealed partial record CudaBackendOptions
{
    /// <summary>Replay captured CUDA graphs per (batch, token bucket, layer range); off launches every kernel each time.</summary>
    internal bool UseGraphs { get; init; } = true;

    /// <summary>GELU inside the MLP's first product (cuBLASLt GELU_BIAS epilogue) instead of a separate kernel.</summary>
    internal bool FuseGelu { get; init; } = true;

    /// <summary>fp16 attention on tensor cores (mma.sync) when the head size is 64; otherwise the CUDA-core kernel.</summary>
    internal bool TensorCoreAttention { get; init; } = true;

    /// <summary>Store weight matrices as (out, in), transposed at upload, so products run as "TN" (both operands K-major).</summary>
    internal bool TransposedWeights { get; init; } = true;

    /// <summary>
    /// Warps per tensor-core attention block (16 queries each), 4 or 1. Four share each K/V tile between 64 queries; one makes
    /// more, smaller blocks. On the H100 four won at both B = 1 (62.7 vs 71.3 us per gpt2-xl block) and B = 32 (results/cuda-layer.txt).
    /// </summary>
    internal int AttentionWarps { get; init; } = 4;

    /// <summary>
    /// Tensor-core attention with T of at most two 64-key tiles (T = 128 at B = 1 is the latency case) runs a second set of
    /// warps on the second tile and merges the two softmax states, so the last queries' tiles run side by side; off, one set
    /// takes both tiles in turn.
    /// </summary>
    internal bool AttentionKeySplit { get; init; } = true;

    /// <summary>
    /// On sm_90 and later, LayerNorm and tensor-core attention are launched with programmatic dependent launch: resident while
    /// the product before them finishes, waiting in the kernel rather than behind a launch boundary.
    /// </summary>
    internal bool DependentLaunch { get; init; } = true;

    /// <summary>Time every algorithm cuBLASLt's heuristic offers for each product shape (once per bucket) and keep the fastest.</summary>
    internal bool TuneProducts { get; init; } = true;

    /// <summary>
    /// On a Hopper GPU at fp16, also time our own split-K cluster product (kernels compiled at start-up for sm_90a) for each
    /// product shape and run it wherever it is faster than cuBLASLt's best (alone, or in whole blocks with
    /// <see cref="TuneInBlock"/>); needs <see cref="TuneProducts"/> to be chosen.
    /// </summary>
    internal bool OwnProducts { get; init; } = true;

    /// <summary>
    /// After <see cref="TuneProducts"/> has timed each product alone, switch each product that has both kinds (cuBLASLt, ours)
    /// to the other one in turn and keep the switch where whole blocks run faster: in a block our product can load weights
    /// while the LayerNorm or attention before it runs, which timing it alone does not show.
    /// </summary>
    internal bool TuneInBlock { get; init; } = true;

    /// <summary>
    /// Runs our Hopper product with this many K slices (one of 1, 2, 3, 4, 5, 6, 8) for every product it fits, whatever
    /// tuning finds: for parity checks of each variant. 0 (the default) lets <see cref="TuneProducts"/> choose.
    /// </summary>
    internal int OwnProductSplit { get; init; }
}
