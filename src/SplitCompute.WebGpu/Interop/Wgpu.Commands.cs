using System.Runtime.InteropServices;

namespace SplitCompute.WebGpu.Interop;

/// <summary>webgpu.h entry points: command encoding and compute passes.</summary>
internal static unsafe partial class Wgpu
{
    [LibraryImport(Library, EntryPoint = "wgpuDeviceCreateCommandEncoder")]
    internal static partial nint DeviceCreateCommandEncoder(nint device, WGPULabelDescriptor* descriptor);

    [LibraryImport(Library, EntryPoint = "wgpuCommandEncoderRelease")]
    internal static partial void CommandEncoderRelease(nint encoder);

    [LibraryImport(Library, EntryPoint = "wgpuCommandEncoderBeginComputePass")]
    internal static partial nint CommandEncoderBeginComputePass(nint encoder, WGPUComputePassDescriptor* descriptor);

    [LibraryImport(Library, EntryPoint = "wgpuCommandEncoderCopyBufferToBuffer")]
    internal static partial void CommandEncoderCopyBufferToBuffer(nint encoder, nint source, ulong sourceOffset, nint destination, ulong destinationOffset, ulong size);

    [LibraryImport(Library, EntryPoint = "wgpuCommandEncoderFinish")]
    internal static partial nint CommandEncoderFinish(nint encoder, WGPULabelDescriptor* descriptor);

    [LibraryImport(Library, EntryPoint = "wgpuCommandBufferRelease")]
    internal static partial void CommandBufferRelease(nint commandBuffer);

    [LibraryImport(Library, EntryPoint = "wgpuComputePassEncoderRelease")]
    internal static partial void ComputePassEncoderRelease(nint pass);

    [LibraryImport(Library, EntryPoint = "wgpuComputePassEncoderSetPipeline")]
    internal static partial void ComputePassEncoderSetPipeline(nint pass, nint pipeline);

    [LibraryImport(Library, EntryPoint = "wgpuComputePassEncoderSetBindGroup")]
    internal static partial void ComputePassEncoderSetBindGroup(nint pass, uint groupIndex, nint group, nuint dynamicOffsetCount, uint* dynamicOffsets);

    [LibraryImport(Library, EntryPoint = "wgpuComputePassEncoderDispatchWorkgroups")]
    internal static partial void ComputePassEncoderDispatchWorkgroups(nint pass, uint x, uint y, uint z);

    [LibraryImport(Library, EntryPoint = "wgpuComputePassEncoderEnd")]
    internal static partial void ComputePassEncoderEnd(nint pass);
}
