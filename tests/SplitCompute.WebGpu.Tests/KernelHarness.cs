using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Tests;

/// <summary>Runs single kernels on the shared device: uploads inputs, records one dispatch, reads one buffer back.</summary>
internal sealed class KernelHarness : IDisposable
{
    private readonly List<GpuBuffer> _buffers = [];

    public KernelHarness()
    {
        Device = TestEnvironment.Device;
        Kernels = new KernelCache(Device);
    }

    public WebGpuDevice Device { get; }

    public KernelCache Kernels { get; }

    public GpuBuffer Upload<T>(string label, T[] data) where T : unmanaged
    {
        var buffer = GpuBuffer.Create(Device, label, (ulong)(data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()), GpuBuffer.Storage);
        _buffers.Add(buffer);
        buffer.Write<T>(Device, data);
        return buffer;
    }

    public GpuBuffer Uniform(string label)
    {
        var buffer = GpuBuffer.Create(Device, label, 16, GpuBuffer.Uniform);
        _buffers.Add(buffer);
        return buffer;
    }

    /// <summary>Records with <paramref name="record"/>, submits, and reads <paramref name="count"/> floats of <paramref name="result"/>.</summary>
    public float[] Run(string label, Action<CommandRecorder> record, GpuBuffer result, int count)
    {
        using var staging = GpuBuffer.Create(Device, $"{label} readback", (ulong)count * 4, GpuBuffer.Readback);
        using (var recorder = new CommandRecorder(Device, label))
        {
            record(recorder);
            recorder.Copy(result, staging, (ulong)count * 4);
            recorder.Submit();
        }
        var output = new float[count];
        staging.ReadMapped<float>(Device, output);
        return output;
    }

    public void Dispose()
    {
        foreach (var buffer in _buffers) buffer.Dispose();
        Kernels.Dispose();
    }
}
