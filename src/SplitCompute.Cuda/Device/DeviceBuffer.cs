using System.Runtime.InteropServices;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Device;

/// <summary>Device memory from cuMemAlloc (256-byte aligned), freed when disposed. The pointer never leaves this assembly.</summary>
public sealed unsafe class DeviceBuffer : SafeHandle
{
    private DeviceBuffer(ulong pointer, long bytes, string label) : base(0, ownsHandle: true)
    {
        SetHandle((nint)pointer);
        Bytes = bytes;
        Label = label;
    }

    public override bool IsInvalid => handle == 0;

    public long Bytes { get; }

    /// <summary>What the buffer holds ("h.3.mlp.c_fc.weight", "workspace 1x128 qkv"), for error messages.</summary>
    public string Label { get; }

    internal ulong Pointer => (ulong)handle;

    /// <summary>Allocates <paramref name="bytes"/> on the current context; out-of-memory names the buffer and the size.</summary>
    public static DeviceBuffer Allocate(long bytes, string label)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        ulong pointer;
        CuDriver.Check(CuDriver.MemAlloc(&pointer, (nuint)bytes), $"cuMemAlloc of {bytes:N0} bytes for {label}");
        return new DeviceBuffer(pointer, bytes, label);
    }

    /// <summary>Synchronous upload of <paramref name="source"/> (pageable memory) to the start of the buffer.</summary>
    public void Upload<T>(ReadOnlySpan<T> source, CudaContext context) where T : unmanaged
    {
        var bytes = (long)source.Length * sizeof(T);
        if (bytes > Bytes) throw new ArgumentException($"{Label}: upload of {bytes} bytes into a {Bytes}-byte buffer", nameof(source));
        fixed (T* p = source)
        {
            CuDriver.Check(CuDriver.MemcpyHtoDAsync(Pointer, p, (nuint)bytes, context.Stream), $"upload to {Label}");
            context.Synchronize($"upload to {Label}");
        }
    }

    protected override bool ReleaseHandle()
    {
        CudaContext.EnterForRelease();
        return CuDriver.MemFree((ulong)handle) == CuDriver.Success;
    }
}
