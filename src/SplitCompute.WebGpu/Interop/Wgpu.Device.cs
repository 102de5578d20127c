using System.Runtime.InteropServices;

namespace SplitCompute.WebGpu.Interop;

/// <summary>webgpu.h entry points: device, error scopes and the objects a device creates.</summary>
internal static unsafe partial class Wgpu
{
    [LibraryImport(Library, EntryPoint = "wgpuDeviceRelease")]
    internal static partial void DeviceRelease(nint device);

    [LibraryImport(Library, EntryPoint = "wgpuDeviceDestroy")]
    internal static partial void DeviceDestroy(nint device);

    [LibraryImport(Library, EntryPoint = "wgpuDeviceGetQueue")]
    internal static partial nint DeviceGetQueue(nint device);

    [LibraryImport(Library, EntryPoint = "wgpuDeviceGetLimits")]
    internal static partial uint DeviceGetLimits(nint device, WGPULimits* limits);

    [LibraryImport(Library, EntryPoint = "wgpuDeviceGetFeatures")]
    internal static partial void DeviceGetFeatures(nint device, WGPUSupportedFeatures* features);

    [LibraryImport(Library, EntryPoint = "wgpuDevicePushErrorScope")]
    internal static partial void DevicePushErrorScope(nint device, uint filter);

    [LibraryImport(Library, EntryPoint = "wgpuDevicePopErrorScope")]
    internal static partial ulong DevicePopErrorScope(nint device, WGPUCallbackInfo callbackInfo);

    [LibraryImport(Library, EntryPoint = "wgpuDeviceCreateBuffer")]
    internal static partial nint DeviceCreateBuffer(nint device, WGPUBufferDescriptor* descriptor);

    [LibraryImport(Library, EntryPoint = "wgpuDeviceCreateShaderModule")]
    internal static partial nint DeviceCreateShaderModule(nint device, WGPUShaderModuleDescriptor* descriptor);

    [LibraryImport(Library, EntryPoint = "wgpuShaderModuleRelease")]
    internal static partial void ShaderModuleRelease(nint module);

    [LibraryImport(Library, EntryPoint = "wgpuDeviceCreateComputePipeline")]
    internal static partial nint DeviceCreateComputePipeline(nint device, WGPUComputePipelineDescriptor* descriptor);

    [LibraryImport(Library, EntryPoint = "wgpuComputePipelineRelease")]
    internal static partial void ComputePipelineRelease(nint pipeline);

    [LibraryImport(Library, EntryPoint = "wgpuComputePipelineGetBindGroupLayout")]
    internal static partial nint ComputePipelineGetBindGroupLayout(nint pipeline, uint groupIndex);

    [LibraryImport(Library, EntryPoint = "wgpuBindGroupLayoutRelease")]
    internal static partial void BindGroupLayoutRelease(nint layout);

    [LibraryImport(Library, EntryPoint = "wgpuDeviceCreateBindGroup")]
    internal static partial nint DeviceCreateBindGroup(nint device, WGPUBindGroupDescriptor* descriptor);

    [LibraryImport(Library, EntryPoint = "wgpuBindGroupRelease")]
    internal static partial void BindGroupRelease(nint bindGroup);
}
