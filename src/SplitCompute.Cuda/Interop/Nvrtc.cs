using System.Runtime.InteropServices;

namespace SplitCompute.Cuda.Interop;

/// <summary>NVRTC (libnvrtc): compiles CUDA C++ source to a CUBIN for one architecture at run time.</summary>
internal static unsafe partial class Nvrtc
{
    [LibraryImport(CudaLibrary.NvrtcName, EntryPoint = "nvrtcVersion")]
    public static partial int Version(int* major, int* minor);

    [LibraryImport(CudaLibrary.NvrtcName, EntryPoint = "nvrtcGetErrorString")]
    public static partial byte* GetErrorString(int result);

    [LibraryImport(CudaLibrary.NvrtcName, EntryPoint = "nvrtcCreateProgram", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int CreateProgram(nint* program, string source, string name, int headerCount, byte** headers, byte** includeNames);

    [LibraryImport(CudaLibrary.NvrtcName, EntryPoint = "nvrtcCompileProgram")]
    public static partial int CompileProgram(nint program, int optionCount, byte** options);

    [LibraryImport(CudaLibrary.NvrtcName, EntryPoint = "nvrtcGetProgramLogSize")]
    public static partial int GetProgramLogSize(nint program, nuint* size);

    [LibraryImport(CudaLibrary.NvrtcName, EntryPoint = "nvrtcGetProgramLog")]
    public static partial int GetProgramLog(nint program, byte* log);

    [LibraryImport(CudaLibrary.NvrtcName, EntryPoint = "nvrtcGetCUBINSize")]
    public static partial int GetCubinSize(nint program, nuint* size);

    [LibraryImport(CudaLibrary.NvrtcName, EntryPoint = "nvrtcGetCUBIN")]
    public static partial int GetCubin(nint program, byte* cubin);

    [LibraryImport(CudaLibrary.NvrtcName, EntryPoint = "nvrtcDestroyProgram")]
    public static partial int DestroyProgram(nint* program);

    public static void Check(int result, string what)
    {
        if (result != 0) throw new CudaException($"{what} failed: {Marshal.PtrToStringUTF8((nint)GetErrorString(result))}");
    }
}
