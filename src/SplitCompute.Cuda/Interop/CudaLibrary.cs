namespace SplitCompute.Cuda.Interop;

/// <summary>
/// One native library the CUDA path needs: the logical name the [LibraryImport]s use, and the file names to try, newest first.
/// CUDA 13 and 12 builds of cuBLASLt and NVRTC both work with the calls we make (their signatures did not change).
/// </summary>
public sealed record CudaLibrary(string LogicalName, IReadOnlyList<string> FileNames)
{
    public const string DriverName = "cuda";
    public const string BlasLtName = "cublasLt";
    public const string NvrtcName = "nvrtc";

    public static CudaLibrary Driver { get; } = new(DriverName, OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"]);

    public static CudaLibrary BlasLt { get; } = new(BlasLtName, OperatingSystem.IsWindows()
        ? ["cublasLt64_13.dll", "cublasLt64_12.dll"]
        : ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"]);

    public static CudaLibrary Nvrtc { get; } = new(NvrtcName, OperatingSystem.IsWindows()
        ? ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll"]
        : ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"]);

    public static IReadOnlyList<CudaLibrary> All { get; } = [Driver, BlasLt, Nvrtc];
}
