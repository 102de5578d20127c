namespace SplitCompute.Cuda.Interop;

/// <summary>A CUDA, cuBLASLt or NVRTC call that failed on a working device; the message names the call and what it was doing.</summary>
public sealed class CudaException : Exception
{
    public CudaException()
    {
    }

    public CudaException(string message) : base(message)
    {
    }

    public CudaException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
