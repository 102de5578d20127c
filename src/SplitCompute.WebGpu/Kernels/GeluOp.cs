using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Kernels;

/// <summary>Launcher for gelu.wgsl: in place over n values, grid-stride so any n fits the workgroup-count limit.</summary>
internal static class GeluOp
{
    private const int Group = 256;
    private const int MaxGroups = 4096;  // enough to fill any GPU; the kernel strides over the rest

    public static ComputeKernel Kernel(KernelCache cache) => cache.Get("gelu_f32_256", "gelu.wgsl");

    public static BindGroup Bind(WebGpuDevice device, ComputeKernel kernel, string label, GpuBuffer parameters, GpuBuffer data) =>
        BindGroup.Create(device, kernel, label, parameters, data);

    /// <param name="exact">BERT's erf GELU; false: GPT-2's tanh form.</param>
    public static void WriteParams(WebGpuDevice device, GpuBuffer parameters, long n, bool exact = false) =>
        parameters.Write<uint>(device, [checked((uint)n), exact ? 1u : 0u, 0u, 0u]);

    public static void Record(CommandRecorder recorder, ComputeKernel kernel, BindGroup bindings, long n) =>
        recorder.Dispatch(kernel, bindings, (uint)Math.Clamp((n + Group - 1) / Group, 1, MaxGroups));
}
