using SplitCompute.Protocol.Capabilities;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Probe;

/// <summary>
/// What the capability probe found: the adapter, its limits and features, and a short calibration: f32 GFLOP/s of a
/// layer-sized matrix product on the tuned product kernel (kernel time, compile excluded) and host-to-GPU upload in GB/s (10^9 bytes per second).
/// </summary>
public sealed record WebGpuProbeResult(
    WebGpuAdapterDescription Adapter,
    WebGpuLimits Limits,
    IReadOnlyList<string> Features,
    double MatmulGflops,
    string MatmulShape,
    double UploadGBps,
    long UploadBytes,
    DateTimeOffset MeasuredAt)
{
    /// <summary>The kernel forms the tuning measured fastest on this adapter (null in a result saved before tuning existed).</summary>
    public KernelChoice? Kernels { get; init; }

    /// <summary>The capability headers' model of this client: adapter, limits, features and perf (upload in Gbit/s as the protocol says).</summary>
    public ClientCapabilities ToCapabilities() => new()
    {
        Adapter = new AdapterInfo(Clip(Adapter.Vendor), Clip(Adapter.Architecture), Clip(Adapter.Device), Adapter.Backend),
        Limits = new AdapterLimits(Limits.MaxBufferSize, Limits.MaxStorageBufferBindingSize, Limits.MaxComputeWorkgroupStorageSize),
        Features = [.. Features.Take(CapabilityBounds.MaxFeatures)],
        Perf = new PerfMeasurements(
            Math.Min(MatmulGflops, CapabilityBounds.MaxGflops),
            Math.Min(UploadGBps * 8, CapabilityBounds.MaxUploadGbps)),
    };

    // Adapter strings are free text from the driver; the headers carry at most MaxStringLength characters of each.
    private static string? Clip(string value) =>
        value.Length == 0 ? null : value.Length <= CapabilityBounds.MaxStringLength ? value : value[..CapabilityBounds.MaxStringLength];
}
