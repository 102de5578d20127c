namespace SplitCompute.WebGpu;

/// <summary>
/// No usable WebGPU adapter: Dawn found no Vulkan adapter, or offered only its Null backend (which computes nothing and
/// returns zeros). <see cref="Found"/> says what was found, if anything.
/// </summary>
public sealed class NoWebGpuAdapterException : WebGpuException
{
    public NoWebGpuAdapterException(string message, string? found) : base(message) => Found = found;

    public NoWebGpuAdapterException() { }

    public NoWebGpuAdapterException(string message) : base(message) { }

    public NoWebGpuAdapterException(string message, Exception inner) : base(message, inner) { }

    /// <summary>A description of the adapter that was refused, or null when Dawn returned none.</summary>
    public string? Found { get; }
}
