using System.Text;
using SplitCompute.WebGpu.Interop;

namespace SplitCompute.WebGpu.Gpu;

/// <summary>A bind group for one kernel: buffer i bound whole at binding i of group 0.</summary>
internal sealed unsafe class BindGroup : IDisposable
{
    private BindGroup(BindGroupHandle handle, string label)
    {
        Handle = handle;
        Label = label;
    }

    public BindGroupHandle Handle { get; }

    public string Label { get; }

    public static BindGroup Create(WebGpuDevice device, ComputeKernel kernel, string label, params GpuBuffer[] buffers)
    {
        var entries = stackalloc WGPUBindGroupEntry[buffers.Length];
        for (var i = 0; i < buffers.Length; i++)
        {
            entries[i] = new WGPUBindGroupEntry { Binding = (uint)i, Buffer = buffers[i].Handle.Raw, Offset = 0, Size = buffers[i].Size };
        }
        var utf8 = Encoding.UTF8.GetBytes(label + "\0");
        fixed (byte* name = utf8)
        {
            var descriptor = new WGPUBindGroupDescriptor
            {
                Label = WGPUStringView.Of(name), Layout = kernel.Layout.Raw, EntryCount = (nuint)buffers.Length, Entries = entries,
            };
            var pDescriptor = &descriptor;
            var what = $"binding [{string.Join(", ", buffers.Select(b => b.Label))}] to kernel {kernel.Key} ({label})";
            return new BindGroup(device.Checked(what, () => new BindGroupHandle(Wgpu.DeviceCreateBindGroup(device.Device.Raw, pDescriptor))), label);
        }
    }

    public void Dispose() => Handle.Dispose();
}
