using System.Runtime.InteropServices;

namespace SplitCompute.Cuda.Interop;

internal static unsafe partial class CuDriver
{
    public const int AttributeMultiprocessorCount = 16;
    public const int AttributeMemoryClockRate = 36;      // kHz
    public const int AttributeGlobalMemoryBusWidth = 37; // bits
    public const int AttributeComputeCapabilityMajor = 75;
    public const int AttributeComputeCapabilityMinor = 76;

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuInit")]
    public static partial int Init(uint flags);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuDriverGetVersion")]
    public static partial int DriverGetVersion(int* version);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuDeviceGetCount")]
    public static partial int DeviceGetCount(int* count);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuDeviceGet")]
    public static partial int DeviceGet(int* device, int ordinal);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuDeviceGetName")]
    public static partial int DeviceGetName(byte* name, int length, int device);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuDeviceGetAttribute")]
    public static partial int DeviceGetAttribute(int* value, int attribute, int device);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuDeviceTotalMem_v2")]
    public static partial int DeviceTotalMem(nuint* bytes, int device);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuDevicePrimaryCtxRetain")]
    public static partial int DevicePrimaryCtxRetain(nint* context, int device);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    public static partial int DevicePrimaryCtxRelease(int device);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuCtxSetCurrent")]
    public static partial int CtxSetCurrent(nint context);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuCtxSynchronize")]
    public static partial int CtxSynchronize();
}
