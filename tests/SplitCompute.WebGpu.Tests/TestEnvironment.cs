using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Tests;

/// <summary>
/// Shares one device between the WebGPU tests. Whether Dawn is here, and whether its absence skips or fails a test, follows
/// the rule every test project shares (<see cref="WebGpuAvailability"/>).
/// </summary>
internal static class TestEnvironment
{
    private static readonly Lazy<(WebGpuDevice? Device, string? Reason)> Shared = new(OpenShared);

    static TestEnvironment() => WebGpuAvailability.UseRepositoryHomeByDefault();

    /// <summary>The shared device; skips the test (or fails it under the launcher) when Dawn is not provisioned.</summary>
    public static WebGpuDevice Device
    {
        get
        {
            var (device, reason) = Shared.Value;
            if (device is not null) return device;
            Skip.If(true, WebGpuAvailability.SkipReasonFor(reason!));
            throw new InvalidOperationException("unreachable");
        }
    }

    private static (WebGpuDevice?, string?) OpenShared()
    {
        try
        {
            return (WebGpuDevice.Open(), null);
        }
        catch (DawnLibraryNotFoundException e)
        {
            return (null, e.Message);
        }
    }
}
