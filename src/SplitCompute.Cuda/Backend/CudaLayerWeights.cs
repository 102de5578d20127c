using SplitCompute.Cuda.Device;

namespace SplitCompute.Cuda.Backend;

/// <summary>
/// One block's parameters on the GPU. Matrices in Conv1D layout (in, out) in the product precision; the biases of the qkv and
/// fc products in the type of their output (floatX, as cuBLASLt's bias epilogue expects), those of the two residual products
/// and the LayerNorm parameters in fp32.  C = n_embd.
/// </summary>
internal sealed class CudaLayerWeights(
    DeviceBuffer ln1Gamma, DeviceBuffer ln1Beta,   // (C) fp32
    DeviceBuffer qkvWeight, DeviceBuffer qkvBias,  // (C, 3C), (3C) floatX
    DeviceBuffer projWeight, DeviceBuffer projBias,// (C, C) floatX, (C) fp32
    DeviceBuffer ln2Gamma, DeviceBuffer ln2Beta,   // (C) fp32
    DeviceBuffer fcWeight, DeviceBuffer fcBias,    // (C, 4C), (4C) floatX
    DeviceBuffer fcProjWeight, DeviceBuffer fcProjBias) : IDisposable  // (4C, C) floatX, (C) fp32
{
    public DeviceBuffer Ln1Gamma { get; } = ln1Gamma;
    public DeviceBuffer Ln1Beta { get; } = ln1Beta;
    public DeviceBuffer QkvWeight { get; } = qkvWeight;
    public DeviceBuffer QkvBias { get; } = qkvBias;
    public DeviceBuffer ProjWeight { get; } = projWeight;
    public DeviceBuffer ProjBias { get; } = projBias;
    public DeviceBuffer Ln2Gamma { get; } = ln2Gamma;
    public DeviceBuffer Ln2Beta { get; } = ln2Beta;
    public DeviceBuffer FcWeight { get; } = fcWeight;
    public DeviceBuffer FcBias { get; } = fcBias;
    public DeviceBuffer FcProjWeight { get; } = fcProjWeight;
    public DeviceBuffer FcProjBias { get; } = fcProjBias;

    public IEnumerable<DeviceBuffer> All =>
        [Ln1Gamma, Ln1Beta, QkvWeight, QkvBias, ProjWeight, ProjBias, Ln2Gamma, Ln2Beta, FcWeight, FcBias, FcProjWeight, FcProjBias];

    /// <summary>Bytes a forward pass reads from these weights (what bounds a small batch: the block is memory-bound).</summary>
    public long Bytes => All.Sum(b => b.Bytes);

    public void Dispose()
    {
        foreach (var buffer in All) buffer.Dispose();
    }
}
