using SplitCompute.WebGpu.Interop;

namespace SplitCompute.WebGpu.Gpu;

/// <summary>
/// Records one command buffer: compute dispatches (in one pass at a time) and buffer copies, then submits it once.
/// Storage writes of one dispatch are visible to the next within a pass (WebGPU orders dispatches that share buffers).
/// </summary>
internal sealed unsafe class CommandRecorder : IDisposable
{
    private readonly WebGpuDevice _device;
    private readonly CommandEncoderHandle _encoder;
    private ComputePassHandle? _pass;

    public CommandRecorder(WebGpuDevice device, string label)
    {
        _device = device;
        Label = label;
        _encoder = device.Checked($"{label}: creating a command encoder",
            () => new CommandEncoderHandle(Wgpu.DeviceCreateCommandEncoder(device.Device.Raw, null)));
    }

    public string Label { get; }

    public int Dispatches { get; private set; }

    public void Dispatch(ComputeKernel kernel, BindGroup bindGroup, uint x, uint y = 1, uint z = 1)
    {
        var limit = (uint)_device.Limits.MaxComputeWorkgroupsPerDimension;
        if (x > limit || y > limit || z > limit)
            throw new WebGpuException($"{Label}: kernel {kernel.Key} needs ({x}, {y}, {z}) workgroups; this adapter allows {limit} per dimension");
        if (x == 0 || y == 0 || z == 0) return;
        _pass ??= new ComputePassHandle(Wgpu.CommandEncoderBeginComputePass(_encoder.Raw, null));
        Wgpu.ComputePassEncoderSetPipeline(_pass.Raw, kernel.Pipeline.Raw);
        Wgpu.ComputePassEncoderSetBindGroup(_pass.Raw, 0, bindGroup.Handle.Raw, 0, null);
        Wgpu.ComputePassEncoderDispatchWorkgroups(_pass.Raw, x, y, z);
        Dispatches++;
    }

    public void Copy(GpuBuffer source, GpuBuffer destination, ulong bytes)
    {
        EndPass();
        Wgpu.CommandEncoderCopyBufferToBuffer(_encoder.Raw, source.Handle.Raw, 0, destination.Handle.Raw, 0, GpuBuffer.Round(bytes));
    }

    /// <summary>A staging copy: offsets and size are whole 4-byte words (WebGPU's copy granularity).</summary>
    public void Copy(BufferHandle source, ulong sourceOffset, GpuBuffer destination, ulong destinationOffset, ulong bytes)
    {
        EndPass();
        Wgpu.CommandEncoderCopyBufferToBuffer(_encoder.Raw, source.Raw, sourceOffset, destination.Handle.Raw, destinationOffset, bytes);
    }

    /// <summary>Finishes and submits everything recorded as one command buffer, inside error scopes.</summary>
    public void Submit()
    {
        _device.Checked($"{Label}: submitting {Dispatches} dispatches", () =>
        {
            EndPass();
            using var commands = new CommandBufferHandle(Wgpu.CommandEncoderFinish(_encoder.Raw, null));
            var raw = commands.Raw;
            Wgpu.QueueSubmit(_device.Queue.Raw, 1, &raw);
        });
        _device.ThrowIfLost($"{Label}: after submitting");  // error scopes stay silent on a lost device
    }

    private void EndPass()
    {
        if (_pass is null) return;
        Wgpu.ComputePassEncoderEnd(_pass.Raw);
        _pass.Dispose();
        _pass = null;
    }

    public void Dispose()
    {
        _pass?.Dispose();
        _encoder.Dispose();
    }
}
