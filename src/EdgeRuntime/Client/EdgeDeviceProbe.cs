using SplitCompute.WebGpu;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Probe;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// The WebGPU capability probe for the edge client, run once per client (cached on disk per adapter by <see cref="WebGpuProbe"/>).
/// Without an adapter the result is null with the reason, so the client advertises no WebGPU and the gateway plans cloud-only.
/// </summary>
internal sealed class EdgeDeviceProbe(string? cacheDirectory)
{
    private readonly Lazy<(WebGpuProbeResult? Result, string? Problem)> _probe = new(() =>
    {
        try
        {
            using var device = WebGpuDevice.Open();
            return (WebGpuProbe.RunCached(device, cacheDirectory), null);
        }
        catch (WebGpuException ex)
        {
            return (null, $"{ex.GetType().Name}: {ex.Message}");
        }
    });

    public WebGpuProbeResult? Result => _probe.Value.Result;

    public string? Problem => _probe.Value.Problem;
}
