using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Kernels;

/// <summary>Launcher for matmul.wgsl: Y (M, N) = X (M, K) W (K, N) + bias, or Y += ... (residual fused).</summary>
internal static class MatmulOp
{
    public const string File = "matmul.wgsl";
    public const int Tile = 64;

    /// <summary>Rows and columns of Y one workgroup computes.</summary>
    public const int TileRows = Tile, TileColumns = Tile;

    public static ComputeKernel Kernel(KernelCache cache, WeightPrecision precision) => precision == WeightPrecision.F16
        ? cache.Get("matmul_f16_64x64", File, ("alias Weight = f32;", "enable f16;\nalias Weight = f16;"))
        : cache.Get("matmul_f32_64x64", File);

    /// <summary>Bindings in the kernel's order: params, x (M, K), w (K, N), bias (N), y (M, N).</summary>
    public static BindGroup Bind(WebGpuDevice device, ComputeKernel kernel, string label, GpuBuffer parameters, GpuBuffer x, GpuBuffer w, GpuBuffer bias, GpuBuffer y) =>
        BindGroup.Create(device, kernel, label, parameters, x, w, bias, y);

    public static void WriteParams(WebGpuDevice device, GpuBuffer parameters, int m, int n, int k, bool accumulate) =>
        parameters.Write<uint>(device, [(uint)m, (uint)n, (uint)k, accumulate ? 1u : 0u]);

    public static void Record(CommandRecorder recorder, ComputeKernel kernel, BindGroup bindings, int m, int n) =>
        recorder.Dispatch(kernel, bindings, (uint)((n + Tile - 1) / Tile), (uint)((m + Tile - 1) / Tile));
}
