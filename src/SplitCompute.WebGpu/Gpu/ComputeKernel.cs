using SplitCompute.WebGpu.Interop;

namespace SplitCompute.WebGpu.Gpu;

/// <summary>A compiled compute pipeline with its (shader-derived) bind group layout; <see cref="Key"/> doubles as the debug label.</summary>
internal sealed class ComputeKernel(string key, ComputePipelineHandle pipeline, BindGroupLayoutHandle layout) : IDisposable
{
    public string Key { get; } = key;

    public ComputePipelineHandle Pipeline { get; } = pipeline;

    public BindGroupLayoutHandle Layout { get; } = layout;

    public void Dispose()
    {
        Layout.Dispose();
        Pipeline.Dispose();
    }
}
