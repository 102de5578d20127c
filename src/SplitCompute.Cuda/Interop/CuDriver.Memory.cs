using System.Runtime.InteropServices;

namespace SplitCompute.Cuda.Interop;

internal static unsafe partial class CuDriver
{
    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuMemAlloc_v2")]
    public static partial int MemAlloc(ulong* pointer, nuint bytes);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuMemFree_v2")]
    public static partial int MemFree(ulong pointer);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuMemAllocHost_v2")]
    public static partial int MemAllocHost(void** pointer, nuint bytes);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuMemFreeHost")]
    public static partial int MemFreeHost(void* pointer);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuMemGetInfo_v2")]
    public static partial int MemGetInfo(nuint* free, nuint* total);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuMemcpyHtoDAsync_v2")]
    public static partial int MemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuMemcpyDtoHAsync_v2")]
    public static partial int MemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuMemcpyDtoDAsync_v2")]
    public static partial int MemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuMemsetD8Async")]
    public static partial int MemsetD8Async(ulong destination, byte value, nuint count, nint stream);
}
