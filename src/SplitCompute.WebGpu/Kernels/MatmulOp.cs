using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Kernels;

/// <summary>
/// Launcher for the matrix product Y (M, N) = X (M, K) W (K, N) + bias, or Y += ... (residual fused), optionally through GELU (<see cref="ProductEpilogue"/>): where every product's N is
/// a multiple of 4, matmul_rows.wgsl (16 rows x 8 columns an invocation, vec4 weights; 7-10x faster on lavapipe), or its
/// subgroup form matmul_rows_subgroups.wgsl where the device has subgroups of at least 8 (X shared by subgroupBroadcast: ~2x
/// again there); else matmul.wgsl (64x64 shared-memory tiles). A backend picks one for all its products (their bind groups
/// follow the kernel).
/// </summary>
internal static class MatmulOp
{
    public const string File = "matmul.wgsl";
    public const string RowsFile = "matmul_rows.wgsl";
    public const string RowsSubgroupsFile = "matmul_rows_subgroups.wgsl";
    public const int Tile = 64;

    /// <summary>Rows and columns of Y a workgroup of matmul.wgsl computes.</summary>
    public const int TileRows = Tile, TileColumns = Tile;

    /// <summary>Rows and columns of Y a workgroup of matmul_rows.wgsl computes (its TILE_ROWS, TILE_COLS).</summary>
    public const int RowsTileRows = 16, RowsTileColumns = 64;

    private const string RowsKeyPrefix = "matmul_rows16x64_";

    /// <param name="columnsMultipleOf4">Whether every N this kernel will run is a multiple of 4 (then the faster kernel).</param>
    /// <param name="subgroups">Whether it may use the subgroup form where the device allows (false: tests of the plain one).</param>
    /// <remarks>Where the probe tuned this adapter (<see cref="KernelCache.Choice"/>), its product form is used whenever it can run.</remarks>
    public static ComputeKernel Kernel(KernelCache cache, WeightPrecision precision, bool columnsMultipleOf4, bool subgroups = true)
    {
        var rows = columnsMultipleOf4 && cache.Choice?.Product != KernelChoice.Tiled;
        var withSubgroups = subgroups && cache.Device.HasSubgroupsOf8 && cache.Choice?.Product is null or KernelChoice.RowsSubgroups;
        return Form(cache, precision, rows, withSubgroups);
    }

    /// <summary>A given form (the tuning times each): rows (else 64x64 tiles), with subgroups where the device has them.</summary>
    public static ComputeKernel Form(KernelCache cache, WeightPrecision precision, bool rows, bool subgroups) =>
        (rows, subgroups && cache.Device.HasSubgroupsOf8, precision) switch
    {
        (true, true, WeightPrecision.F16) => cache.Get(RowsKeyPrefix + "sg_f16", RowsSubgroupsFile, ("alias Weight4 = vec4<f32>;", "enable f16;\nalias Weight4 = vec4<f16>;")),
        (true, true, _) => cache.Get(RowsKeyPrefix + "sg_f32", RowsSubgroupsFile),
        (true, false, WeightPrecision.F16) => cache.Get(RowsKeyPrefix + "f16", RowsFile, ("alias Weight4 = vec4<f32>;", "enable f16;\nalias Weight4 = vec4<f16>;")),
        (true, false, _) => cache.Get(RowsKeyPrefix + "f32", RowsFile),
        (false, _, WeightPrecision.F16) => cache.Get("matmul_f16_64x64", File, ("alias Weight = f32;", "enable f16;\nalias Weight = f16;")),
        _ => cache.Get("matmul_f32_64x64", File),
    };

    /// <summary>Bindings in the kernel's order: params, x (M, K), w (K, N), bias (N), y (M, N).</summary>
    public static BindGroup Bind(WebGpuDevice device, ComputeKernel kernel, string label, GpuBuffer parameters, GpuBuffer x, GpuBuffer w, GpuBuffer bias, GpuBuffer y) =>
        BindGroup.Create(device, kernel, label, parameters, x, w, bias, y);

    public static void WriteParams(WebGpuDevice device, GpuBuffer parameters, int m, int n, int k, ProductEpilogue epilogue) =>
        parameters.Write<uint>(device, [(uint)m, (uint)n, (uint)k, (uint)epilogue]);

    public static void Record(CommandRecorder recorder, ComputeKernel kernel, BindGroup bindings, int m, int n)
    {
        var (rows, columns) = TileOf(kernel);
        if (rows == RowsTileRows && n % 4 != 0) throw new ArgumentException($"{kernel.Key} needs N % 4 == 0, found N = {n}", nameof(n));
        recorder.Dispatch(kernel, bindings, (uint)((n + columns - 1) / columns), (uint)((m + rows - 1) / rows));
    }

    /// <summary>Rows and columns of Y one workgroup of <paramref name="kernel"/> computes.</summary>
    public static (int Rows, int Columns) TileOf(ComputeKernel kernel) =>
        kernel.Key.StartsWith(RowsKeyPrefix, StringComparison.Ordinal) ? (RowsTileRows, RowsTileColumns) : (TileRows, TileColumns);
}
