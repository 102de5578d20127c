namespace SplitCompute.Cuda.Interop;

/// <summary>
/// The one error for "CUDA cannot be used here": a library that does not load, no driver, or no device. Callers that may fall
/// back to the CPU catch exactly this type; every other CUDA failure (<see cref="CudaException"/>) is a real fault.
/// </summary>
public sealed class CudaUnavailableException : Exception
{
    public CudaUnavailableException()
    {
    }

    public CudaUnavailableException(string message) : base(message)
    {
    }

    public CudaUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
