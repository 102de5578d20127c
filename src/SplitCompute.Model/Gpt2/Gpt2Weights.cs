using SplitCompute.Model.Config;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Gpt2;

/// <summary>
/// All GPT-2 parameters a range of layers needs, bound to an open <see cref="Checkpoint"/> (F32 tensors stay memory-mapped).
/// A partial load (only layers [from, to), with or without embeddings and the final norm) lets an edge device hold just its tail.
/// </summary>
public sealed class Gpt2Weights : IDisposable
{
    private readonly Checkpoint _checkpoint;
    private readonly Gpt2LayerWeights?[] _layers;

    private Gpt2Weights(Gpt2Config config, Checkpoint checkpoint, Gpt2LayerWeights?[] layers,
        WeightTensor? wte, WeightTensor? wpe, WeightTensor? lnfWeight, WeightTensor? lnfBias)
    {
        Config = config;
        _checkpoint = checkpoint;
        _layers = layers;
        TokenEmbedding = wte;
        PositionEmbedding = wpe;
        FinalNormWeight = lnfWeight;
        FinalNormBias = lnfBias;
    }

    public Gpt2Config Config { get; }

    /// <summary>(V, C), or null when this load has no embeddings.</summary>
    public WeightTensor? TokenEmbedding { get; }

    /// <summary>(n_positions, C), or null when this load has no embeddings.</summary>
    public WeightTensor? PositionEmbedding { get; }

    /// <summary>(C), or null when this load has no final norm.</summary>
    public WeightTensor? FinalNormWeight { get; }

    public WeightTensor? FinalNormBias { get; }

    /// <summary>Loads every tensor of the model in <paramref name="modelDirectory"/> (config.json + safetensors).</summary>
    public static Gpt2Weights Load(string modelDirectory) => Load(modelDirectory, Gpt2Config.Load(modelDirectory), null);

    /// <summary>Loads the given layers (all when null) plus embeddings and the final norm.</summary>
    public static Gpt2Weights Load(string modelDirectory, Gpt2Config config, Range? layers)
    {
        ArgumentNullException.ThrowIfNull(config);
        var checkpoint = Checkpoint.Open(modelDirectory);
        try
        {
            return Bind(checkpoint, config, layers ?? Range.All, embeddings: true, finalNorm: true);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Binds tensors of an already open checkpoint; the weights take ownership of it.</summary>
    public static Gpt2Weights Bind(Checkpoint checkpoint, Gpt2Config config, Range layers, bool embeddings, bool finalNorm)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(config);
        var c = config.NEmbd;
        var (start, count) = layers.GetOffsetAndLength(config.NLayer);
        var bound = new Gpt2LayerWeights?[config.NLayer];
        for (var i = start; i < start + count; i++) bound[i] = Gpt2LayerWeights.Load(checkpoint, i, c);
        return new Gpt2Weights(config, checkpoint, bound,
            embeddings ? checkpoint.ReadFloat32(Gpt2TensorNames.TokenEmbedding, config.VocabSize, c) : null,
            embeddings ? checkpoint.ReadFloat32(Gpt2TensorNames.PositionEmbedding, config.NPositions, c) : null,
            finalNorm ? checkpoint.ReadFloat32(Gpt2TensorNames.FinalNormWeight, c) : null,
            finalNorm ? checkpoint.ReadFloat32(Gpt2TensorNames.FinalNormBias, c) : null);
    }

    public bool HasLayer(int layer) => (uint)layer < (uint)_layers.Length && _layers[layer] is not null;

    public Gpt2LayerWeights Layer(int layer) =>
        HasLayer(layer) ? _layers[layer]! : throw new InvalidOperationException($"layer {layer} is not loaded from {_checkpoint.Directory}");

    public void Dispose() => _checkpoint.Dispose();
}
