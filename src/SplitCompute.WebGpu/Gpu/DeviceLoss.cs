using SplitCompute.WebGpu.Interop;

namespace SplitCompute.WebGpu.Gpu;

/// <summary>
/// What Dawn's device-lost callback reported for one device: its reason and message, or nothing while the device lives.
/// Written from the callback and read by whoever checks the device, so the first report is kept and published atomically.
/// </summary>
internal sealed class DeviceLoss
{
    private Report? _report;

    /// <summary>The registry number Dawn passes back as userdata (<see cref="DeviceLostCallback"/>).</summary>
    public nint Token { get; set; }

    /// <summary>The loss, or null while the device lives.</summary>
    public Report? Lost => Volatile.Read(ref _report);

    public void Record(uint reason, string message)
    {
        // Dawn cancels the callback when the instance shuts down; that is our own disposal, not a loss.
        if (reason == WGPUDeviceLostReason.CallbackCancelled) return;
        Interlocked.CompareExchange(ref _report, new Report(reason, message), null);
    }

    public sealed record Report(uint Reason, string Message)
    {
        public string ReasonName => WGPUDeviceLostReason.Name(Reason);
    }
}
