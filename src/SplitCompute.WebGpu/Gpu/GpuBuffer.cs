using System.Runtime.InteropServices;
using System.Text;
using SplitCompute.WebGpu.Interop;

namespace SplitCompute.WebGpu.Gpu;

/// <summary>
/// A GPU buffer with its label and byte size. Sizes are rounded up to 4 bytes (a WebGPU copy granularity), at least 16.
/// Small writes (activations, uniforms) go through queue.writeBuffer (ordered before the next submission); weights go through
/// the device's <see cref="StagingRing"/>; reads map a staging buffer.
/// </summary>
internal sealed unsafe class GpuBuffer : IDisposable
{
    public const ulong Storage = WGPUBufferUsage.Storage | WGPUBufferUsage.CopyDst | WGPUBufferUsage.CopySrc;
    public const ulong Uniform = WGPUBufferUsage.Uniform | WGPUBufferUsage.CopyDst;
    public const ulong Readback = WGPUBufferUsage.MapRead | WGPUBufferUsage.CopyDst;

    private GpuBuffer(BufferHandle handle, string label, ulong size, ulong usage)
    {
        Handle = handle;
        Label = label;
        Size = size;
        Usage = usage;
    }

    public BufferHandle Handle { get; }

    public string Label { get; }

    public ulong Size { get; }

    public ulong Usage { get; }

    public static ulong Round(ulong bytes) => Math.Max(16, (bytes + 3) & ~3UL);

    public static GpuBuffer Create(WebGpuDevice device, string label, ulong bytes, ulong usage)
    {
        var size = Round(bytes);
        if ((usage & WGPUBufferUsage.Storage) != 0 && size > (ulong)device.Limits.MaxStorageBufferBindingSize)
        {
            throw new WebGpuException(
                $"buffer '{label}' needs {size} bytes, above this adapter's maxStorageBufferBindingSize {device.Limits.MaxStorageBufferBindingSize} ({device.Description.Device})");
        }
        var utf8 = Encoding.UTF8.GetBytes(label + "\0");
        fixed (byte* name = utf8)
        {
            var descriptor = new WGPUBufferDescriptor { Label = WGPUStringView.Of(name), Usage = usage, Size = size };
            var pDescriptor = &descriptor;
            var handle = device.Checked($"creating buffer '{label}' ({size} bytes)", () => new BufferHandle(Wgpu.DeviceCreateBuffer(device.Device.Raw, pDescriptor)));
            return new GpuBuffer(handle, label, size, usage);
        }
    }

    /// <summary>Copies <paramref name="data"/> to byte <paramref name="offset"/>; its byte length must be a multiple of 4.</summary>
    public void Write<T>(WebGpuDevice device, ReadOnlySpan<T> data, ulong offset = 0) where T : unmanaged
    {
        var bytes = (ulong)data.Length * (ulong)sizeof(T);
        if (bytes % 4 != 0) throw new ArgumentException($"writing {bytes} bytes to '{Label}': WebGPU writes whole 4-byte words", nameof(data));
        if (offset + bytes > Size) throw new ArgumentException($"writing {bytes} bytes at {offset} overflows '{Label}' ({Size} bytes)", nameof(data));
        fixed (T* source = data)
        {
            Wgpu.QueueWriteBuffer(device.Queue.Raw, Handle.Raw, offset, source, (nuint)bytes);
        }
    }

    /// <summary>Maps this (MapRead) buffer after the GPU finished writing it and copies its first bytes into <paramref name="destination"/>.</summary>
    public void ReadMapped<T>(WebGpuDevice device, Span<T> destination) where T : unmanaged
    {
        var bytes = (nuint)((ulong)destination.Length * (ulong)sizeof(T));
        if (bytes > Size) throw new ArgumentException($"reading {bytes} bytes from '{Label}' ({Size} bytes)", nameof(destination));
        var mapSize = (nuint)Round(bytes);
        var result = FutureWaiter.Run(device.Instance, $"mapping '{Label}' for reading", device.WaitTimeout,
            handle => Wgpu.BufferMapAsync(Handle.Raw, WGPUMapMode.Read, 0, mapSize, Callbacks.ForStatus(handle)));
        try
        {
            // Before anything is copied out: a lost device's results are not results, and the destination must stay as it was.
            device.ThrowIfLost($"reading back '{Label}'");
        }
        catch
        {
            if (result.Status == WGPUStatus.Success) Wgpu.BufferUnmap(Handle.Raw);
            throw;
        }
        if (result.Status != WGPUStatus.Success) throw new WebGpuException($"mapping '{Label}' for reading failed (status {result.Status}): {result.Message}");
        try
        {
            var mapped = Wgpu.BufferGetConstMappedRange(Handle.Raw, 0, mapSize);
            if (mapped is null) throw new WebGpuException($"'{Label}': wgpuBufferGetConstMappedRange returned null");
            new ReadOnlySpan<T>(mapped, destination.Length).CopyTo(destination);
        }
        finally
        {
            Wgpu.BufferUnmap(Handle.Raw);
        }
    }

    public void Dispose() => Handle.Dispose();
}
