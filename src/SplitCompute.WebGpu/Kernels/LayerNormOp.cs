using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Kernels;

/// <summary>
/// Launcher for LayerNorm over rows of C, one workgroup per row: layernorm_subgroups.wgsl (8 invocations, subgroupAdd, no barrier)
/// where the device has subgroups of at least 8 and C % 4 == 0, else layernorm.wgsl (256 threads, workgroup-memory reductions).
/// </summary>
internal static class LayerNormOp
{
    /// <param name="c">The row length: the subgroup form reads rows as vec4s.</param>
    /// <param name="subgroups">Whether it may use the subgroup form where the device allows (false: tests of the plain one).</param>
    /// <remarks>Where the probe tuned this adapter (<see cref="KernelCache.Choice"/>), its LayerNorm form is used whenever it can run.</remarks>
    public static ComputeKernel Kernel(KernelCache cache, int c, bool subgroups = true) =>
        subgroups && cache.Device.HasSubgroupsOf8 && c % 4 == 0 && cache.Choice?.LayerNorm is null or KernelChoice.Subgroups
            ? cache.Get("layernorm_sg_f32_8", "layernorm_subgroups.wgsl")
            : cache.Get("layernorm_f32_256", "layernorm.wgsl");

    /// <summary>Bindings: params, x (R, C), gamma (C), beta (C), y (R, C); x and y must be different buffers.</summary>
    public static BindGroup Bind(WebGpuDevice device, ComputeKernel kernel, string label, GpuBuffer parameters, GpuBuffer x, GpuBuffer gamma, GpuBuffer beta, GpuBuffer y) =>
        BindGroup.Create(device, kernel, label, parameters, x, gamma, beta, y);

    public static void WriteParams(WebGpuDevice device, GpuBuffer parameters, int rows, int c, float eps) =>
        parameters.Write<uint>(device, [(uint)rows, (uint)c, BitConverter.SingleToUInt32Bits(eps), 0u]);

    public static void Record(CommandRecorder recorder, ComputeKernel kernel, BindGroup bindings, int rows) =>
        recorder.Dispatch(kernel, bindings, (uint)rows);
}
