using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Backend;

/// <summary>How the WebGPU backend stores weights.</summary>
public sealed record WebGpuBackendOptions
{
    /// <summary>F16 halves weight memory and upload; it needs shader-f16 and is refused clearly without it.</summary>
    public WeightPrecision Precision { get; init; } = WeightPrecision.F32;
}
