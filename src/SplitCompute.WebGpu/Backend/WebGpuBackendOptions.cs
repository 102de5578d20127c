using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Backend;

/// <summary>How the WebGPU backend stores weights, and where it finds the kernel forms tuned for its adapter.</summary>
public sealed record WebGpuBackendOptions
{
    /// <summary>F16 halves weight memory and upload; it needs shader-f16 and is refused clearly without it.</summary>
    public WeightPrecision Precision { get; init; } = WeightPrecision.F32;

    /// <summary>
    /// Where the capability probe caches its results, tuning included (default $SPLITCOMPUTE_HOME/webgpu): the kernel forms it
    /// measured fastest on this adapter are used (<see cref="Kernels.KernelChoice"/>). Null, or no probe saved for the adapter: the
    /// subgroup forms wherever the device has subgroups of at least 8.
    /// </summary>
    public string? TunedKernelsDirectory { get; init; } = Path.Combine(SplitComputeHome.Directory, "webgpu");

    /// <summary>Applies the tuned forms to a device's kernel cache, once (the first backend on a device decides).</summary>
    internal void ApplyTuning(WebGpuDevice device)
    {
        if (device.Kernels.Choice is null && TunedKernelsDirectory is { } directory)
            device.Kernels.Choice = Probe.WebGpuProbe.CachedKernels(device.Description, directory);
    }
}
