namespace SplitCompute.Benchmarks.Fleet;

/// <summary>
/// A modelled worker device: one block over one row costs <see cref="MsPerLayerRow"/>, every layer a pass runs costs
/// <see cref="LayerFixedMs"/> whatever its rows (reading the weights, launches: what batching amortises), embeddings cost
/// <see cref="EmbedMsPerToken"/> per real token.
/// </summary>
internal sealed record DeviceSpeed(string Name, double MsPerLayerRow, double LayerFixedMs, double EmbedMsPerToken)
{
    /// <summary>
    /// CPU worker on this 2-core VM, gpt2 (12 x 768), fitted to results/cpu-layer.txt: B=1 T=128 20.8 ms and B=8 T=128 98 ms a
    /// block -> ~0.086 ms per row plus ~10 ms per layer; the fixed part is taken lower (2 ms): part of it is the B=1 products' low rate.
    /// </summary>
    public static DeviceSpeed CpuGpt2 { get; } = new("cpu", 0.09, 2.0, 0.002);

    /// <summary>H200 CUDA worker, gpt2-xl (48 x 1600) fp16, fitted to results/cuda-layer-h200.txt: 48 blocks 1.95 ms at B=1 T=128, 24.2 ms at B=32.</summary>
    public static DeviceSpeed GpuGpt2Xl { get; } = new("cuda", 0.000117, 0.026, 0.001);

    /// <summary>The same GPU on gpt2 (work per row scales with C^2).</summary>
    public static DeviceSpeed GpuGpt2 { get; } = new("cuda", 0.000027, 0.010, 0.001);

    /// <summary>A worker alone running one request: embeddings plus k layers.</summary>
    public double AloneMs(int tokens, int rows, int k) => (tokens * EmbedMsPerToken) + (k * (LayerFixedMs + (rows * MsPerLayerRow)));
}
