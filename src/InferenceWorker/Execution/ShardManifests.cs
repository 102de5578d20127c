using SplitCompute.Model.Config;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.Shards;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>The wire manifest (docs/protocol.md) of a model revision's shards, as the worker publishes it: every layer plus GPT-2's final norm.</summary>
internal static class ShardManifests
{
    public static ShardManifest Build(string modelId, Gpt2Config config, ShardIndex index, string dtype) =>
        Layers(modelId, index.Revision, "gpt2", config.Shape, config.LayerNormEpsilon, index, dtype) with { FinalNorm = ToEntry(index.FinalNorm(dtype)) };

    /// <summary>A BERT-family encoder's: its family, every layer, no final norm (post-LayerNorm blocks end with their own).</summary>
    public static ShardManifest Build(string modelId, string revision, BertConfig config, ShardIndex index, string dtype) =>
        Layers(modelId, revision, config.ModelType, new Model.Forward.LayerStackShape(config.NumLayers, config.HiddenSize, config.NumHeads, config.MaxPositions,
            config.VocabSize, Causal: false), config.LayerNormEpsilon, index, dtype);

    /// <summary>Every layer's shard of <paramref name="dtype"/>, without a final norm.</summary>
    private static ShardManifest Layers(string modelId, string revision, string family, Model.Forward.LayerStackShape shape, float epsilon, ShardIndex index, string dtype) => new()
    {
        Model = modelId,
        Revision = revision,
        Family = family,
        NLayer = shape.Layers,
        NEmbd = shape.Channels,
        NHead = shape.Heads,
        DType = dtype,
        LayerNormEpsilon = epsilon,
        Shards = [.. Enumerable.Range(0, shape.Layers).Select(l => ToEntry(index.Layer(l, dtype)))],
    };

    private static Protocol.Manifests.ShardEntry ToEntry(Model.Shards.ShardEntry shard) => new()
    {
        Kind = shard.Kind,
        Layer = shard.Layer,
        Url = $"/v1/shards/{shard.Sha256}",
        Sha256 = shard.Sha256,
        Bytes = shard.Bytes,
        DType = shard.DType,
        Tensors = shard.Tensors,
    };
}
