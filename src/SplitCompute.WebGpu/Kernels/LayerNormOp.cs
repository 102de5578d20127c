using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Kernels;

/// <summary>Launcher for layernorm.wgsl: one workgroup per row of C.</summary>
internal static class LayerNormOp
{
    public static ComputeKernel Kernel(KernelCache cache) => cache.Get("layernorm_f32_256", "layernorm.wgsl");

    /// <summary>Bindings: params, x (R, C), gamma (C), beta (C), y (R, C); x and y must be different buffers.</summary>
    public static BindGroup Bind(WebGpuDevice device, ComputeKernel kernel, string label, GpuBuffer parameters, GpuBuffer x, GpuBuffer gamma, GpuBuffer beta, GpuBuffer y) =>
        BindGroup.Create(device, kernel, label, parameters, x, gamma, beta, y);

    public static void WriteParams(WebGpuDevice device, GpuBuffer parameters, int rows, int c, float eps) =>
        parameters.Write<uint>(device, [(uint)rows, (uint)c, BitConverter.SingleToUInt32Bits(eps), 0u]);

    public static void Record(CommandRecorder recorder, ComputeKernel kernel, BindGroup bindings, int rows) =>
        recorder.Dispatch(kernel, bindings, (uint)rows);
}
