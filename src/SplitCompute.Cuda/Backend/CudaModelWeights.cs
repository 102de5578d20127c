using System.Numerics.Tensors;
using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Kernels;
using SplitCompute.Model.Config;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Cuda.Backend;

/// <summary>
/// The model's parameters resident on the GPU for the whole life of the backend: the loaded layers, the embeddings (fp32, so
/// the residual stream starts exact) and the final norm when loaded. Made from a checkpoint, or seeded on the GPU for benchmarks.
/// </summary>
internal sealed class CudaModelWeights : IDisposable
{
    private readonly CudaLayerWeights?[] _layers;

    private CudaModelWeights(CudaLayerWeights?[] layers, DeviceBuffer? wte, DeviceBuffer? wpe, DeviceBuffer? lnfGamma, DeviceBuffer? lnfBeta)
    {
        _layers = layers;
        TokenEmbedding = wte;
        PositionEmbedding = wpe;
        FinalNormGamma = lnfGamma;
        FinalNormBeta = lnfBeta;
    }

    /// <summary>(V, C) fp32.</summary>
    public DeviceBuffer? TokenEmbedding { get; }

    /// <summary>(n_positions, C) fp32.</summary>
    public DeviceBuffer? PositionEmbedding { get; }

    public DeviceBuffer? FinalNormGamma { get; }

    public DeviceBuffer? FinalNormBeta { get; }

    public bool HasLayer(int layer) => (uint)layer < (uint)_layers.Length && _layers[layer] is not null;

    public CudaLayerWeights Layer(int layer) =>
        HasLayer(layer) ? _layers[layer]! : throw new InvalidOperationException($"layer {layer} is not loaded on the GPU");

    /// <summary>
    /// Uploads every loaded tensor of <paramref name="weights"/>, converting matrices to fp16 in fp16 mode and, when
    /// <paramref name="transposed"/>, from Conv1D (in, out) to (out, in).
    /// </summary>
    public static CudaModelWeights Upload(CudaContext context, Gpt2Weights weights, CudaPrecision precision, bool transposed)
    {
        var config = weights.Config;
        var layers = new CudaLayerWeights?[config.NLayer];
        try
        {
            for (var i = 0; i < config.NLayer; i++)
            {
                if (!weights.HasLayer(i)) continue;
                var w = weights.Layer(i);
                layers[i] = new CudaLayerWeights(
                    Float(context, w.Ln1Weight), Float(context, w.Ln1Bias),
                    Matrix(context, w.AttnQkvWeight, precision, transposed), Product(context, w.AttnQkvBias, precision),
                    Matrix(context, w.AttnProjWeight, precision, transposed), Float(context, w.AttnProjBias),
                    Float(context, w.Ln2Weight), Float(context, w.Ln2Bias),
                    Matrix(context, w.FcWeight, precision, transposed), Product(context, w.FcBias, precision),
                    Matrix(context, w.FcProjWeight, precision, transposed), Float(context, w.FcProjBias));
            }
            return new CudaModelWeights(layers,
                weights.TokenEmbedding is null ? null : Float(context, weights.TokenEmbedding),
                weights.PositionEmbedding is null ? null : Float(context, weights.PositionEmbedding),
                weights.FinalNormWeight is null ? null : Float(context, weights.FinalNormWeight),
                weights.FinalNormBias is null ? null : Float(context, weights.FinalNormBias));
        }
        catch
        {
            foreach (var layer in layers) layer?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Seeded random parameters made on the GPU (uniform, std 0.02 for matrices and embeddings, LayerNorm gains near 1): the
    /// shapes and memory traffic of a real model without writing gigabytes of safetensors first. For benchmarks only.
    /// </summary>
    public static CudaModelWeights Random(CudaContext context, Gpt2Kernels kernels, Gpt2Config config, uint seed)
    {
        var c = (long)config.NEmbd;
        var x = kernels.Precision == CudaPrecision.Float16 ? 2 : 4;
        var next = seed;
        DeviceBuffer Make(string label, long count, bool floatX, float scale, float offset)
        {
            var buffer = DeviceBuffer.Allocate(count * (floatX ? x : 4), label);
            kernels.Fill(buffer.Pointer, count, floatX, next++, scale, offset);
            return buffer;
        }
        const float MatrixScale = 0.02f * 1.7320508f;  // uniform on [-a, a] has std a / sqrt(3)
        var layers = new CudaLayerWeights?[config.NLayer];
        for (var i = 0; i < config.NLayer; i++)
        {
            var p = $"h.{i}.";
            layers[i] = new CudaLayerWeights(
                Make(p + "ln_1.weight", c, false, 0.1f, 1f), Make(p + "ln_1.bias", c, false, 0.05f, 0f),
                Make(p + "attn.c_attn.weight", c * 3 * c, true, MatrixScale, 0f), Make(p + "attn.c_attn.bias", 3 * c, true, 0.01f, 0f),
                Make(p + "attn.c_proj.weight", c * c, true, MatrixScale, 0f), Make(p + "attn.c_proj.bias", c, false, 0.01f, 0f),
                Make(p + "ln_2.weight", c, false, 0.1f, 1f), Make(p + "ln_2.bias", c, false, 0.05f, 0f),
                Make(p + "mlp.c_fc.weight", c * 4 * c, true, MatrixScale, 0f), Make(p + "mlp.c_fc.bias", 4 * c, true, 0.01f, 0f),
                Make(p + "mlp.c_proj.weight", 4 * c * c, true, MatrixScale, 0f), Make(p + "mlp.c_proj.bias", c, false, 0.01f, 0f));
        }
        var weights = new CudaModelWeights(layers,
            Make("wte", config.VocabSize * c, false, MatrixScale, 0f), Make("wpe", config.NPositions * c, false, MatrixScale, 0f),
            Make("ln_f.weight", c, false, 0.1f, 1f), Make("ln_f.bias", c, false, 0.05f, 0f));
        context.Synchronize("random weights");
        return weights;
    }

    /// <summary>A tensor as fp32 on the GPU (embeddings, LayerNorm parameters, the residual products' biases).</summary>
    internal static DeviceBuffer Float(CudaContext context, WeightTensor tensor)
    {
        var buffer = DeviceBuffer.Allocate(tensor.Length * sizeof(float), tensor.Name);
        buffer.Upload(tensor.Span, context);
        return buffer;
    }

    /// <summary>A Conv1D weight (in, out), transposed to (out, in) when asked, in the product precision.</summary>
    private static DeviceBuffer Matrix(CudaContext context, WeightTensor tensor, CudaPrecision precision, bool transposed)
    {
        if (!transposed) return Product(context, tensor.Span, tensor.Name, precision);
        var shape = tensor.Shape;  // (in, out)
        var t = new float[tensor.Length];
        HostTranspose.Transpose(tensor.Span, (int)shape[0], (int)shape[1], t);
        return Product(context, t, tensor.Name + " (out, in)", precision);
    }

    private static DeviceBuffer Product(CudaContext context, WeightTensor tensor, CudaPrecision precision) =>
        Product(context, tensor.Span, tensor.Name, precision);

    /// <summary>Values in the product precision (fp16 or fp32) on the GPU: matrices, and the biases fused into floatX outputs.</summary>
    internal static DeviceBuffer Product(CudaContext context, ReadOnlySpan<float> values, string name, CudaPrecision precision)
    {
        if (precision == CudaPrecision.Float32)
        {
            var single = DeviceBuffer.Allocate(values.Length * sizeof(float), name);
            single.Upload(values, context);
            return single;
        }
        var half = new Half[values.Length];
        TensorPrimitives.ConvertToHalf(values, half);
        var buffer = DeviceBuffer.Allocate(values.Length * 2L, name + " (fp16)");
        buffer.Upload<Half>(half, context);
        return buffer;
    }

    public void Dispose()
    {
        foreach (var layer in _layers) layer?.Dispose();
        TokenEmbedding?.Dispose();
        PositionEmbedding?.Dispose();
        FinalNormGamma?.Dispose();
        FinalNormBeta?.Dispose();
    }
}
