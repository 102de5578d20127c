namespace SplitCompute.Cuda.Kernels;

/// <summary>
/// The compile-time sizes of skinny_product.cuh as the backend builds it, defined only here: <see cref="Defines"/> hands them
/// to NVRTC as -D options and <see cref="HopperProducts"/> sizes its grid, block and shared memory from the same constants;
/// the kernel asserts the values its code is written for. Legend: R rows (tokens), N features, K inner dimension.
/// </summary>
internal static class HopperProductConstants
{
    /// <summary>SK_FEATURES: output features (rows of W) per CTA.</summary>
    public const int FeatureTile = 128;

    /// <summary>SK_TOKENS: rows of X per CTA.</summary>
    public const int TokenTile = 128;

    /// <summary>SK_KSTEP: the K of one pipeline stage; K must be a whole number of them.</summary>
    public const int KStep = 64;

    /// <summary>SK_THREADS: two warpgroups.</summary>
    public const int Threads = 256;

    /// <summary>SK_STAGES: the cp.async pipeline's depth (SK_STAGES - 2 steps of copies in flight).</summary>
    public const int Stages = 6;

    /// <summary>SK_SHARED: dynamic shared memory per CTA, each stage a W tile and an X tile of fp16, plus 1 KB to align the swizzle.</summary>
    public const int SharedBytes = (Stages * (FeatureTile + TokenTile) * KStep * sizeof(ushort)) + 1024;

    /// <summary>The -D options that give skinny_product.cuh these constants.</summary>
    public static IReadOnlyList<string> Defines { get; } =
    [
        $"-DSK_FEATURES={FeatureTile}",
        $"-DSK_TOKENS={TokenTile}",
        $"-DSK_KSTEP={KStep}",
        $"-DSK_THREADS={Threads}",
        $"-DSK_STAGES={Stages}",
        $"-DSK_SHARED={SharedBytes}",
    ];
}
