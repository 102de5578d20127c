using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Blas;

/// <summary>Facts about the loaded cuBLASLt, for logs and benchmark headers.</summary>
public static class LtInfo
{
    /// <summary>cublasLtGetVersion(): e.g. 130001 for 13.0.1.</summary>
    public static long Version => (long)CublasLt.GetVersion();
}
