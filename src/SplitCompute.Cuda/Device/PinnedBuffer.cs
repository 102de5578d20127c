using System.Runtime.InteropServices;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Device;

/// <summary>
/// Page-locked host memory (cuMemAllocHost): the hidden state crosses PCIe by DMA from here without a driver-side staging
/// copy, and asynchronous copies from it may be captured in graphs. Zeroed at allocation.
/// </summary>
public sealed unsafe class PinnedBuffer : SafeHandle
{
    private PinnedBuffer(void* pointer, long bytes) : base(0, ownsHandle: true)
    {
        SetHandle((nint)pointer);
        Bytes = bytes;
        NativeMemory.Clear(pointer, (nuint)bytes);
    }

    public override bool IsInvalid => handle == 0;

    public long Bytes { get; }

    internal void* Pointer => (void*)handle;

    public Span<T> AsSpan<T>() where T : unmanaged => new(Pointer, checked((int)(Bytes / sizeof(T))));

    public static PinnedBuffer Allocate(long bytes, string label)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        void* pointer;
        CuDriver.Check(CuDriver.MemAllocHost(&pointer, (nuint)bytes), $"cuMemAllocHost of {bytes:N0} bytes for {label}");
        return new PinnedBuffer(pointer, bytes);
    }

    protected override bool ReleaseHandle()
    {
        CudaContext.EnterForRelease();
        return CuDriver.MemFreeHost((void*)handle) == CuDriver.Success;
    }
}
