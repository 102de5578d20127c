using SplitCompute.Model.Gpt2;
using SplitCompute.Model.SafeTensors;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Backend;

/// <summary>
/// One block's parameters resident on the GPU (C = n_embd): the four matrices in the chosen precision, biases and LayerNorm in f32.
/// Uploaded once from the (memory-mapped) checkpoint through the device's staging ring and kept until the backend is disposed.
/// </summary>
internal sealed class GpuLayerWeights : IDisposable
{
    private GpuLayerWeights(GpuBuffer[] all) => All = all;

    public GpuBuffer[] All { get; }

    public GpuBuffer Ln1Weight => All[0];      // (C)
    public GpuBuffer Ln1Bias => All[1];        // (C)
    public GpuBuffer AttnQkvWeight => All[2];  // (C, 3C)
    public GpuBuffer AttnQkvBias => All[3];    // (3C)
    public GpuBuffer AttnProjWeight => All[4]; // (C, C)
    public GpuBuffer AttnProjBias => All[5];   // (C)
    public GpuBuffer Ln2Weight => All[6];      // (C)
    public GpuBuffer Ln2Bias => All[7];        // (C)
    public GpuBuffer FcWeight => All[8];       // (C, 4C)
    public GpuBuffer FcBias => All[9];         // (4C)
    public GpuBuffer FcProjWeight => All[10];  // (4C, C)
    public GpuBuffer FcProjBias => All[11];    // (C)

    /// <summary>Bytes held on the GPU.</summary>
    public long Bytes => All.Sum(b => (long)b.Size);

    /// <summary>Queues the block's tensors on the staging ring; the caller flushes it once every layer is queued.</summary>
    public static GpuLayerWeights Upload(WebGpuDevice device, Gpt2LayerWeights w, WeightPrecision precision)
    {
        WeightTensor[] tensors =
        [
            w.Ln1Weight, w.Ln1Bias, w.AttnQkvWeight, w.AttnQkvBias, w.AttnProjWeight, w.AttnProjBias,
            w.Ln2Weight, w.Ln2Bias, w.FcWeight, w.FcBias, w.FcProjWeight, w.FcProjBias,
        ];
        var buffers = new List<GpuBuffer>(tensors.Length);
        try
        {
            foreach (var tensor in tensors)
            {
                var matrix = tensor.Shape.Length == 2;
                buffers.Add(TensorUpload.Upload(device, tensor, matrix ? precision : WeightPrecision.F32));
            }
            return new GpuLayerWeights([.. buffers]);
        }
        catch
        {
            foreach (var buffer in buffers) buffer.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var buffer in All) buffer.Dispose();
    }
}
