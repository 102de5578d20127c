using System.Runtime.InteropServices;

namespace SplitCompute.Cuda.Interop;

/// <summary>
/// The CUDA driver API (libcuda), the part this backend uses. Handles are opaque pointers (nint); device pointers are
/// CUdeviceptr (ulong). Split by area into partial files; <see cref="Check"/> turns a CUresult into an exception with context.
/// Exported names carry their ABI version suffix (_v2) exactly as cuda.h maps them.
/// </summary>
internal static unsafe partial class CuDriver
{
    public const int Success = 0;
    public const int ErrorNoDevice = 100;
    public const int ErrorInsufficientDriver = 35;

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuGetErrorName")]
    private static partial int GetErrorName(int error, byte** name);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuGetErrorString")]
    private static partial int GetErrorString(int error, byte** text);

    /// <summary>"CUDA_ERROR_OUT_OF_MEMORY (out of memory)" for a CUresult.</summary>
    public static string Describe(int result)
    {
        byte* name = null, text = null;
        _ = GetErrorName(result, &name);
        _ = GetErrorString(result, &text);
        var n = name is null ? $"CUresult {result}" : Marshal.PtrToStringUTF8((nint)name);
        return text is null ? n! : $"{n} ({Marshal.PtrToStringUTF8((nint)text)})";
    }

    /// <summary>Throws <see cref="CudaException"/> naming <paramref name="what"/> unless <paramref name="result"/> is success.</summary>
    public static void Check(int result, string what)
    {
        if (result != Success) throw new CudaException($"{what} failed: {Describe(result)}");
    }
}
