using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Benchmarks.Cuda;

/// <summary>The GPU a CUDA benchmark runs on, or a SKIP line and exit code 3 where there is none (CI, this VM).</summary>
internal static class CudaBenchmarkDevice
{
    public const int SkipExitCode = 3;

    /// <summary>Opens the default GPU; null (after printing why) when CUDA cannot be used here.</summary>
    public static CudaContext? TryOpen()
    {
        try
        {
            return CudaContext.Create();
        }
        catch (CudaUnavailableException e)
        {
            Console.WriteLine($"SKIP: no CUDA here: {e.Message}");
            return null;
        }
    }
}
