using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;
using static SplitCompute.Cuda.Kernels.HopperProductConstants;

namespace SplitCompute.Cuda.Kernels;

/// <summary>What a product's epilogue does with the accumulated X W^T (skinny_product.cuh: SK_BIAS, SK_GELU_BIAS, SK_RESIDUAL).</summary>
internal enum SkinnyEpilogue
{
    /// <summary>Y fp16 = acc + bias (fp16).</summary>
    Bias,

    /// <summary>Y fp16 = GELU(acc + bias (fp16)), tanh form.</summary>
    GeluBias,

    /// <summary>Y fp32 += acc + bias (fp32): the residual stream.</summary>
    Residual,
}

/// <summary>
/// hopper_products.cu compiled for sm_90a: our split-K cluster product (skinny_product.cuh) for fp16 activations of a few
/// hundred rows, where cuBLASLt keeps most SMs idle. One kernel per (epilogue, K split); launched with programmatic dependent
/// launch. Y (R, N) = epilogue(X (R, K) W^T + bias) with W stored (N, K), as the backend's transposed weights are.
/// </summary>
internal sealed unsafe class HopperProducts : IDisposable
{
    private const string SourceName = "hopper_products.cu";

    /// <summary>K splits (cluster sizes) compiled: SK_KERNEL / SK_KERNEL_ALONE in skinny_product.cuh.</summary>
    public static IReadOnlyList<int> Splits { get; } = [1, 2, 3, 4, 5, 6, 8];

    private readonly CudaContext _context;
    private readonly CudaModule _module;
    private readonly Dictionary<(SkinnyEpilogue, int), nint> _functions = [];

    /// <summary>The kernel names the constructor loads.</summary>
    internal static IEnumerable<string> KernelNames =>
        from epilogue in Enum.GetValues<SkinnyEpilogue>() from split in Splits select KernelName(epilogue, split);

    /// <summary>Hopper (compute capability 9.0) only: the kernels use wgmma and thread-block clusters of sm_90a.</summary>
    public static bool Supports(CudaContext context) => context.ComputeCapability == (9, 0);

    /// <summary>Shapes the kernel takes: K in whole 64-wide steps, N in groups of 8 (the epilogue writes 4 features at a time).</summary>
    public static bool Fits(int n, int k) => n > 0 && k > 0 && k % KStep == 0 && n % 8 == 0;

    public HopperProducts(CudaContext context, string? cacheDirectory)
    {
        if (!Supports(context)) throw new NotSupportedException($"{SourceName} needs a Hopper GPU (sm_90), not {context.Architecture}");
        _context = context;
        List<string> options = ["--gpu-architecture=sm_90a", "--std=c++17", .. HopperProductConstants.Defines];
        var cubin = KernelCompiler.Compile(KernelSource.Read(SourceName), SourceName, options, cacheDirectory);
        _module = new CudaModule(context, cubin, $"{SourceName} (sm_90a)");
        try
        {
            foreach (var epilogue in Enum.GetValues<SkinnyEpilogue>())
            {
                foreach (var split in Splits)
                {
                    var name = KernelName(epilogue, split);
                    var function = _module.Function(name);
                    CuDriver.Check(CuDriver.FuncSetAttribute(function, CuDriver.FunctionAttributeMaxDynamicSharedSizeBytes, SharedBytes),
                        $"cuFuncSetAttribute({name}, {SharedBytes} bytes of shared memory)");
                    _functions[(epilogue, split)] = function;
                }
            }
        }
        catch
        {
            _module.Dispose();
            throw;
        }
    }

    /// <summary>CTAs a launch of (rows, n) with <paramref name="split"/> K slices runs: one per 128 x 128 output tile and slice.</summary>
    public static int Ctas(int rows, int n, int split) => ((n + FeatureTile - 1) / FeatureTile) * split * ((rows + TokenTile - 1) / TokenTile);

    /// <summary>Enqueues Y (R, N) = epilogue(X (R, K) W^T + bias) on the context's stream; W is (N, K) row-major.</summary>
    public void Launch(SkinnyEpilogue epilogue, int split, ulong y, ulong x, ulong w, ulong bias, int rows, int n, int k)
    {
        if (!_functions.TryGetValue((epilogue, split), out var function))
            throw new ArgumentOutOfRangeException(nameof(split), $"no {epilogue} kernel with {split} K slices (compiled: {string.Join(", ", Splits)})");
        if (!Fits(n, k) || rows <= 0) throw new ArgumentException($"{KernelName(epilogue, split)}: ({rows} x {k}) . ({k} x {n}) needs K % {KStep} == 0 and N % 8 == 0");
        void** args = stackalloc void*[7];
        args[0] = &y; args[1] = &x; args[2] = &w; args[3] = &bias; args[4] = &rows; args[5] = &n; args[6] = &k;
        var grid = ((uint)((n + FeatureTile - 1) / FeatureTile), (uint)split, (uint)((rows + TokenTile - 1) / TokenTile));
        DependentLaunch.Launch(function, grid, ((uint)Threads, 1u, 1u), (uint)SharedBytes, _context.Stream, args,
            $"launch {KernelName(epilogue, split)} grid {grid} for ({rows} x {k}) . ({k} x {n})");
    }

    private static string KernelName(SkinnyEpilogue epilogue, int split) => epilogue switch
    {
        SkinnyEpilogue.Bias => $"skinny_bias_{split}",
        SkinnyEpilogue.GeluBias => $"skinny_gelu_{split}",
        _ => $"skinny_residual_{split}",
    };

    public void Dispose() => _module.Dispose();
}
