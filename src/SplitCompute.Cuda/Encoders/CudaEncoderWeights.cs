using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Device;
using SplitCompute.Model.Encoders;

namespace SplitCompute.Cuda.Encoders;

/// <summary>
/// A BERT-family encoder's parameters on the GPU, in the block layout the GPT-2 products already take (<see cref="CudaLayerWeights"/>,
/// weights (out, in) as nn.Linear stores them, which the products read transposed): q, k and v stacked into one (3C, C) qkv
/// matrix; "ln_1" is the attention output's LayerNorm and "ln_2" the block output's, both applied after their residual (post-LN).
/// Embeddings and their LayerNorm fp32; token type 0's row only (single texts). Legend: C channels, I inner width, V vocabulary.
/// </summary>
internal sealed class CudaEncoderWeights : IDisposable
{
    private readonly CudaLayerWeights[] _layers;

    private CudaEncoderWeights(CudaLayerWeights[] layers, DeviceBuffer words, DeviceBuffer positions, DeviceBuffer type0, DeviceBuffer normGamma, DeviceBuffer normBeta)
    {
        _layers = layers;
        (Words, Positions, TokenType0, EmbeddingNormGamma, EmbeddingNormBeta) = (words, positions, type0, normGamma, normBeta);
    }

    /// <summary>(V, C) fp32.</summary>
    public DeviceBuffer Words { get; }

    /// <summary>(max_position_embeddings, C) fp32.</summary>
    public DeviceBuffer Positions { get; }

    /// <summary>(C) fp32: token type 0's embedding.</summary>
    public DeviceBuffer TokenType0 { get; }

    public DeviceBuffer EmbeddingNormGamma { get; }

    public DeviceBuffer EmbeddingNormBeta { get; }

    public CudaLayerWeights Layer(int layer) => _layers[layer];

    public long Bytes => _layers.Sum(l => l.Bytes) + Words.Bytes + Positions.Bytes;

    /// <summary>Uploads every parameter of <paramref name="source"/> (a whole model: embeddings and all N blocks).</summary>
    public static CudaEncoderWeights Upload(CudaContext context, BertCpuEncoder source, CudaPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(source);
        var config = source.Config;
        long c = config.HiddenSize, inner = config.IntermediateSize;
        var layers = new List<CudaLayerWeights>();
        var embeddings = new List<DeviceBuffer>();
        try
        {
            DeviceBuffer F(string name, params long[] shape) => CudaModelWeights.Float(context, source.Tensor(name, shape));
            DeviceBuffer X(string name, params long[] shape)
            {
                var tensor = source.Tensor(name, shape);
                return CudaModelWeights.Product(context, tensor.Span, tensor.Name, precision);
            }
            embeddings.Add(F("embeddings.word_embeddings.weight", config.VocabSize, c));
            embeddings.Add(F("embeddings.position_embeddings.weight", config.MaxPositions, c));
            var types = source.Tensor("embeddings.token_type_embeddings.weight", config.TypeVocabSize, c);
            var type0 = DeviceBuffer.Allocate(c * sizeof(float), "embeddings.token_type_embeddings.weight[0]");
            embeddings.Add(type0);
            type0.Upload(types.Span[..(int)c], context);
            embeddings.Add(F("embeddings.LayerNorm.weight", c));
            embeddings.Add(F("embeddings.LayerNorm.bias", c));
            for (var l = 0; l < config.NumLayers; l++)
            {
                var p = $"encoder.layer.{l}.";
                layers.Add(new CudaLayerWeights(
                    F(p + "attention.output.LayerNorm.weight", c), F(p + "attention.output.LayerNorm.bias", c),
                    Stacked(context, source, p + "attention.self.", "weight", [c, c], precision), Stacked(context, source, p + "attention.self.", "bias", [c], precision),
                    X(p + "attention.output.dense.weight", c, c), F(p + "attention.output.dense.bias", c),
                    F(p + "output.LayerNorm.weight", c), F(p + "output.LayerNorm.bias", c),
                    X(p + "intermediate.dense.weight", inner, c), X(p + "intermediate.dense.bias", inner),
                    X(p + "output.dense.weight", c, inner), F(p + "output.dense.bias", c)));
            }
            return new CudaEncoderWeights([.. layers], embeddings[0], embeddings[1], embeddings[2], embeddings[3], embeddings[4]);
        }
        catch
        {
            foreach (var layer in layers) layer.Dispose();
            foreach (var buffer in embeddings) buffer.Dispose();
            throw;
        }
    }

    /// <summary>query | key | value's <paramref name="part"/> stacked along the output dimension: (3C, C) weights or (3C) biases, in the product precision.</summary>
    private static DeviceBuffer Stacked(CudaContext context, BertCpuEncoder source, string prefix, string part, long[] shape, CudaPrecision precision)
    {
        var parts = new[] { "query", "key", "value" }.Select(n => source.Tensor($"{prefix}{n}.{part}", shape)).ToArray();
        var stacked = new float[parts.Sum(t => t.Length)];
        var offset = 0;
        foreach (var tensor in parts)
        {
            tensor.Span.CopyTo(stacked.AsSpan(offset));
            offset += tensor.Length;
        }
        return CudaModelWeights.Product(context, stacked, $"{prefix}qkv.{part} (stacked)", precision);
    }

    public void Dispose()
    {
        foreach (var layer in _layers) layer.Dispose();
        foreach (var buffer in new[] { Words, Positions, TokenType0, EmbeddingNormGamma, EmbeddingNormBeta }) buffer.Dispose();
    }
}
