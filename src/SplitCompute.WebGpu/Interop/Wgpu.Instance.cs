using System.Runtime.InteropServices;

namespace SplitCompute.WebGpu.Interop;

/// <summary>webgpu.h entry points, split by area. Instance and adapter: creation, adapter discovery, waiting on futures.</summary>
internal static unsafe partial class Wgpu
{
    /// <summary>The name <see cref="DawnLibrary"/> resolves to the actual file.</summary>
    internal const string Library = "webgpu_wrapper";

    [LibraryImport(Library, EntryPoint = "wgpuCreateInstance")]
    internal static partial nint CreateInstance(WGPUInstanceDescriptor* descriptor);

    [LibraryImport(Library, EntryPoint = "wgpuInstanceRelease")]
    internal static partial void InstanceRelease(nint instance);

    [LibraryImport(Library, EntryPoint = "wgpuInstanceRequestAdapter")]
    internal static partial ulong InstanceRequestAdapter(nint instance, WGPURequestAdapterOptions* options, WGPUCallbackInfo callbackInfo);

    [LibraryImport(Library, EntryPoint = "wgpuInstanceWaitAny")]
    internal static partial uint InstanceWaitAny(nint instance, nuint futureCount, WGPUFutureWaitInfo* futures, ulong timeoutNs);

    [LibraryImport(Library, EntryPoint = "wgpuInstanceProcessEvents")]
    internal static partial void InstanceProcessEvents(nint instance);

    [LibraryImport(Library, EntryPoint = "wgpuAdapterRelease")]
    internal static partial void AdapterRelease(nint adapter);

    [LibraryImport(Library, EntryPoint = "wgpuAdapterGetInfo")]
    internal static partial uint AdapterGetInfo(nint adapter, WGPUAdapterInfo* info);

    [LibraryImport(Library, EntryPoint = "wgpuAdapterInfoFreeMembers")]
    internal static partial void AdapterInfoFreeMembers(WGPUAdapterInfo info);

    [LibraryImport(Library, EntryPoint = "wgpuAdapterGetLimits")]
    internal static partial uint AdapterGetLimits(nint adapter, WGPULimits* limits);

    [LibraryImport(Library, EntryPoint = "wgpuAdapterHasFeature")]
    internal static partial uint AdapterHasFeature(nint adapter, uint feature);

    [LibraryImport(Library, EntryPoint = "wgpuAdapterGetFeatures")]
    internal static partial void AdapterGetFeatures(nint adapter, WGPUSupportedFeatures* features);

    [LibraryImport(Library, EntryPoint = "wgpuSupportedFeaturesFreeMembers")]
    internal static partial void SupportedFeaturesFreeMembers(WGPUSupportedFeatures features);

    [LibraryImport(Library, EntryPoint = "wgpuAdapterPropertiesSubgroupMatrixConfigsFreeMembers")]
    internal static partial void AdapterPropertiesSubgroupMatrixConfigsFreeMembers(WGPUAdapterPropertiesSubgroupMatrixConfigs configs);

    [LibraryImport(Library, EntryPoint = "wgpuAdapterRequestDevice")]
    internal static partial ulong AdapterRequestDevice(nint adapter, WGPUDeviceDescriptor* descriptor, WGPUCallbackInfo callbackInfo);
}
