using SplitCompute.Model.Encoders;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Backend;

/// <summary>
/// One BERT-family block's parameters resident on the GPU, laid out for the GPT-2 kernels: PyTorch's (out, in) Linear weights
/// transposed to (in, out), and query | key | value fused into one (C, 3C) matrix with a (3C) bias, so the matmul and attention
/// kernels read them as GPT-2's c_attn. Legend: C hidden, I intermediate.
/// </summary>
internal sealed class GpuEncoderLayerWeights : IDisposable
{
    private GpuEncoderLayerWeights(GpuBuffer[] all) => All = all;

    public GpuBuffer[] All { get; }

    public GpuBuffer QkvWeight => All[0];        // (C, 3C)
    public GpuBuffer QkvBias => All[1];          // (3C)
    public GpuBuffer OutWeight => All[2];        // (C, C)
    public GpuBuffer OutBias => All[3];          // (C)
    public GpuBuffer AttentionNormWeight => All[4];  // (C)
    public GpuBuffer AttentionNormBias => All[5];    // (C)
    public GpuBuffer IntermediateWeight => All[6];   // (C, I)
    public GpuBuffer IntermediateBias => All[7];     // (I)
    public GpuBuffer OutputWeight => All[8];     // (I, C)
    public GpuBuffer OutputBias => All[9];       // (C)
    public GpuBuffer OutputNormWeight => All[10];    // (C)
    public GpuBuffer OutputNormBias => All[11];      // (C)

    public long Bytes => All.Sum(b => (long)b.Size);

    /// <summary>Queues the block's tensors on the staging ring; the caller flushes it once every layer is queued.</summary>
    public static GpuEncoderLayerWeights Upload(WebGpuDevice device, BertCpuEncoder encoder, int layer, WeightPrecision precision)
    {
        var (c, i) = (encoder.Config.HiddenSize, encoder.Config.IntermediateSize);
        var p = $"encoder.layer.{layer}.";
        float[] Vector(string name, int n) => encoder.Tensor(p + name, n).Span.ToArray();
        float[] Transposed(string name, int rows, int cols) => Transpose(encoder.Tensor(p + name, rows, cols).Span, rows, cols);  // (out, in) -> (in, out)
        var q = Transposed("attention.self.query.weight", c, c);
        var k = Transposed("attention.self.key.weight", c, c);
        var v = Transposed("attention.self.value.weight", c, c);
        var qkv = new float[c * 3 * c];                                   // row r: q[r] | k[r] | v[r]
        for (var r = 0; r < c; r++)
        {
            q.AsSpan(r * c, c).CopyTo(qkv.AsSpan(r * 3 * c, c));
            k.AsSpan(r * c, c).CopyTo(qkv.AsSpan((r * 3 * c) + c, c));
            v.AsSpan(r * c, c).CopyTo(qkv.AsSpan((r * 3 * c) + (2 * c), c));
        }
        float[] qkvBias = [.. Vector("attention.self.query.bias", c), .. Vector("attention.self.key.bias", c), .. Vector("attention.self.value.bias", c)];
        (string Label, float[] Values, bool Matrix)[] tensors =
        [
            (p + "attention.self.qkv", qkv, true), (p + "attention.self.qkv.bias", qkvBias, false),
            (p + "attention.output.dense", Transposed("attention.output.dense.weight", c, c), true), (p + "attention.output.dense.bias", Vector("attention.output.dense.bias", c), false),
            (p + "attention.output.LayerNorm.weight", Vector("attention.output.LayerNorm.weight", c), false),
            (p + "attention.output.LayerNorm.bias", Vector("attention.output.LayerNorm.bias", c), false),
            (p + "intermediate.dense", Transposed("intermediate.dense.weight", i, c), true), (p + "intermediate.dense.bias", Vector("intermediate.dense.bias", i), false),
            (p + "output.dense", Transposed("output.dense.weight", c, i), true), (p + "output.dense.bias", Vector("output.dense.bias", c), false),
            (p + "output.LayerNorm.weight", Vector("output.LayerNorm.weight", c), false), (p + "output.LayerNorm.bias", Vector("output.LayerNorm.bias", c), false),
        ];
        var buffers = new List<GpuBuffer>(tensors.Length);
        try
        {
            foreach (var (label, values, matrix) in tensors) buffers.Add(TensorUpload.Upload(device, label, values, matrix ? precision : WeightPrecision.F32));
            return new GpuEncoderLayerWeights([.. buffers]);
        }
        catch
        {
            foreach (var buffer in buffers) buffer.Dispose();
            throw;
        }
    }

    /// <summary>(rows, cols) row-major -> (cols, rows) row-major.</summary>
    private static float[] Transpose(ReadOnlySpan<float> m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var col = 0; col < cols; col++) t[(col * rows) + r] = m[(r * cols) + col];
        }
        return t;
    }

    public void Dispose()
    {
        foreach (var buffer in All) buffer.Dispose();
    }
}
