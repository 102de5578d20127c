using System.Runtime.InteropServices;

namespace SplitCompute.Cuda.Interop;

internal static unsafe partial class CuDriver
{
    public const uint StreamNonBlocking = 1;
    public const uint EventDefault = 0;

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuStreamCreate")]
    public static partial int StreamCreate(nint* stream, uint flags);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuStreamDestroy_v2")]
    public static partial int StreamDestroy(nint stream);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuStreamSynchronize")]
    public static partial int StreamSynchronize(nint stream);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuEventCreate")]
    public static partial int EventCreate(nint* evt, uint flags);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuEventDestroy_v2")]
    public static partial int EventDestroy(nint evt);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuEventRecord")]
    public static partial int EventRecord(nint evt, nint stream);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuEventSynchronize")]
    public static partial int EventSynchronize(nint evt);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuEventElapsedTime")]
    public static partial int EventElapsedTime(float* milliseconds, nint start, nint end);
}
