using System.Runtime.InteropServices;

namespace SplitCompute.Cuda.Interop;

internal static unsafe partial class CuDriver
{
    public const int FunctionAttributeMaxDynamicSharedSizeBytes = 8;

    /// <summary>CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION: the kernel may start before the previous one in the stream
    /// ends (it must wait with griddepcontrol.wait before reading what that kernel writes).</summary>
    public const int LaunchAttributeProgrammaticStreamSerialization = 6;

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuModuleLoadData")]
    public static partial int ModuleLoadData(nint* module, void* image);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuModuleUnload")]
    public static partial int ModuleUnload(nint module);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuModuleGetFunction", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ModuleGetFunction(nint* function, nint module, string name);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuFuncSetAttribute")]
    public static partial int FuncSetAttribute(nint function, int attribute, int value);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuLaunchKernelEx")]
    public static partial int LaunchKernelEx(LaunchConfig* config, nint function, void** kernelParams, void** extra);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuLaunchKernel")]
    public static partial int LaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemBytes, nint stream, void** kernelParams, void** extra);
}
