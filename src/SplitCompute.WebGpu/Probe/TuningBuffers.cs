using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Probe;

/// <summary>The tuning's operands: one block's activations and its largest weight, filled with small values (times do not depend on them).</summary>
internal sealed class TuningBuffers : IDisposable
{
    private readonly List<GpuBuffer> _all = [];

    public TuningBuffers(WebGpuDevice device, int t, int c, int inner)
    {
        X = Filled(device, "tuning x (T, I)", t * inner);
        W = Filled(device, "tuning w (C, I)", c * inner);
        Bias = Filled(device, "tuning bias (I)", inner);
        Y = Filled(device, "tuning y (T, I)", t * inner);
        Qkv = Filled(device, "tuning qkv (T, 3C)", t * 3 * c);
        Mask = Add(GpuBuffer.Create(device, "tuning mask (T)", (ulong)t * 4, GpuBuffer.Storage));
        Mask.Write<uint>(device, [.. Enumerable.Repeat(1u, t)]);
        ProductParams = Add(GpuBuffer.Create(device, "tuning product params", 16, GpuBuffer.Uniform));
        AttentionParams = Add(GpuBuffer.Create(device, "tuning attention params", 16, GpuBuffer.Uniform));
        LayerNormParams = Add(GpuBuffer.Create(device, "tuning layernorm params", 16, GpuBuffer.Uniform));
    }

    public GpuBuffer X { get; }
    public GpuBuffer W { get; }
    public GpuBuffer Bias { get; }
    public GpuBuffer Y { get; }
    public GpuBuffer Qkv { get; }
    public GpuBuffer Mask { get; }
    public GpuBuffer ProductParams { get; }
    public GpuBuffer AttentionParams { get; }
    public GpuBuffer LayerNormParams { get; }

    private GpuBuffer Filled(WebGpuDevice device, string label, int count)
    {
        var buffer = Add(GpuBuffer.Create(device, label, (ulong)count * 4, GpuBuffer.Storage));
        var values = new float[count];
        Array.Fill(values, 0.01f);
        buffer.Write<float>(device, values);
        return buffer;
    }

    private GpuBuffer Add(GpuBuffer buffer)
    {
        _all.Add(buffer);
        return buffer;
    }

    public void Dispose()
    {
        foreach (var buffer in _all) buffer.Dispose();
    }
}
