namespace SplitCompute.WebGpu;

/// <summary>
/// The WebGPU device was lost (driver reset, GPU removed, or destroyed): nothing it computes can be trusted any more, so
/// every call on it fails with this instead of returning what a dead device reads back. A fresh device is needed.
/// </summary>
public sealed class WebGpuDeviceLostException : WebGpuException
{
    public WebGpuDeviceLostException(string message, string reason, string dawnMessage) : base(message)
    {
        Reason = reason;
        DawnMessage = dawnMessage;
    }

    public WebGpuDeviceLostException() { }

    public WebGpuDeviceLostException(string message) : base(message) { }

    public WebGpuDeviceLostException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Dawn's reason ("unknown (driver reset, GPU removed)", "destroyed", ...).</summary>
    public string? Reason { get; }

    /// <summary>Dawn's own message from the device-lost callback (may be empty).</summary>
    public string? DawnMessage { get; }
}
