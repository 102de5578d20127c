using System.Runtime.InteropServices;

namespace SplitCompute.WebGpu.Interop;

/// <summary>webgpu.h entry points: buffers, mapping and queue writes.</summary>
internal static unsafe partial class Wgpu
{
    [LibraryImport(Library, EntryPoint = "wgpuBufferRelease")]
    internal static partial void BufferRelease(nint buffer);

    [LibraryImport(Library, EntryPoint = "wgpuBufferDestroy")]
    internal static partial void BufferDestroy(nint buffer);

    [LibraryImport(Library, EntryPoint = "wgpuBufferMapAsync")]
    internal static partial ulong BufferMapAsync(nint buffer, ulong mode, nuint offset, nuint size, WGPUCallbackInfo callbackInfo);

    [LibraryImport(Library, EntryPoint = "wgpuBufferGetConstMappedRange")]
    internal static partial void* BufferGetConstMappedRange(nint buffer, nuint offset, nuint size);

    [LibraryImport(Library, EntryPoint = "wgpuBufferGetMappedRange")]
    internal static partial void* BufferGetMappedRange(nint buffer, nuint offset, nuint size);

    [LibraryImport(Library, EntryPoint = "wgpuBufferUnmap")]
    internal static partial void BufferUnmap(nint buffer);

    [LibraryImport(Library, EntryPoint = "wgpuQueueRelease")]
    internal static partial void QueueRelease(nint queue);

    [LibraryImport(Library, EntryPoint = "wgpuQueueWriteBuffer")]
    internal static partial void QueueWriteBuffer(nint queue, nint buffer, ulong bufferOffset, void* data, nuint size);

    [LibraryImport(Library, EntryPoint = "wgpuQueueSubmit")]
    internal static partial void QueueSubmit(nint queue, nuint commandCount, nint* commands);

    [LibraryImport(Library, EntryPoint = "wgpuQueueOnSubmittedWorkDone")]
    internal static partial ulong QueueOnSubmittedWorkDone(nint queue, WGPUCallbackInfo callbackInfo);
}
