namespace SplitCompute.WebGpu;

/// <summary>A WebGPU call failed; the message carries what was being done and Dawn's own message.</summary>
public class WebGpuException : Exception
{
    public WebGpuException(string message) : base(message) { }

    public WebGpuException(string message, Exception inner) : base(message, inner) { }

    public WebGpuException() { }
}
