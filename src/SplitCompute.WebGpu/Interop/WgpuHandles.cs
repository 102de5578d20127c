using System.Runtime.InteropServices;

namespace SplitCompute.WebGpu.Interop;

// One SafeHandle per webgpu.h object type: each releases its reference exactly once, even when an exception or a finalizer
// gets there first. Dawn reference-counts internally, so releasing a parent before its children is safe.

internal abstract class WgpuHandle : SafeHandle
{
    protected WgpuHandle(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    /// <summary>The raw pointer, for a native call; throws if already released.</summary>
    public nint Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return handle;
        }
    }
}

internal sealed class InstanceHandle(nint handle) : WgpuHandle(handle)
{
    protected override bool ReleaseHandle() { Wgpu.InstanceRelease(handle); return true; }
}

internal sealed class AdapterHandle(nint handle) : WgpuHandle(handle)
{
    protected override bool ReleaseHandle() { Wgpu.AdapterRelease(handle); return true; }
}

internal sealed class DeviceHandle(nint handle) : WgpuHandle(handle)
{
    protected override bool ReleaseHandle() { Wgpu.DeviceRelease(handle); return true; }
}

internal sealed class QueueHandle(nint handle) : WgpuHandle(handle)
{
    protected override bool ReleaseHandle() { Wgpu.QueueRelease(handle); return true; }
}

internal sealed class BufferHandle(nint handle) : WgpuHandle(handle)
{
    // Destroy frees the GPU memory now rather than when Dawn's last internal reference goes.
    protected override bool ReleaseHandle() { Wgpu.BufferDestroy(handle); Wgpu.BufferRelease(handle); return true; }
}

internal sealed class ShaderModuleHandle(nint handle) : WgpuHandle(handle)
{
    protected override bool ReleaseHandle() { Wgpu.ShaderModuleRelease(handle); return true; }
}

internal sealed class ComputePipelineHandle(nint handle) : WgpuHandle(handle)
{
    protected override bool ReleaseHandle() { Wgpu.ComputePipelineRelease(handle); return true; }
}

internal sealed class BindGroupLayoutHandle(nint handle) : WgpuHandle(handle)
{
    protected override bool ReleaseHandle() { Wgpu.BindGroupLayoutRelease(handle); return true; }
}

internal sealed class BindGroupHandle(nint handle) : WgpuHandle(handle)
{
    protected override bool ReleaseHandle() { Wgpu.BindGroupRelease(handle); return true; }
}

internal sealed class CommandEncoderHandle(nint handle) : WgpuHandle(handle)
{
    protected override bool ReleaseHandle() { Wgpu.CommandEncoderRelease(handle); return true; }
}

internal sealed class ComputePassHandle(nint handle) : WgpuHandle(handle)
{
    protected override bool ReleaseHandle() { Wgpu.ComputePassEncoderRelease(handle); return true; }
}

internal sealed class CommandBufferHandle(nint handle) : WgpuHandle(handle)
{
    protected override bool ReleaseHandle() { Wgpu.CommandBufferRelease(handle); return true; }
}
