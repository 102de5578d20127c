using SplitCompute.Model.Config;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.Shards;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>The wire manifest (docs/protocol.md) of a model revision's shards, as the worker publishes it: every layer plus GPT-2's final norm.</summary>
internal static class ShardManifests
{
    public static ShardManifest Build(string modelId, Gpt2Config config, ShardIndex index, string dtype) => new()
    {
        Model = modelId,
        Revision = index.Revision,
        NLayer = config.NLayer,
        NEmbd = config.NEmbd,
        NHead = config.NHead,
        DType = dtype,
        LayerNormEpsilon = config.LayerNormEpsilon,
        Shards = [.. Enumerable.Range(0, config.NLayer).Select(l => ToEntry(index.Layer(l, dtype)))],
        FinalNorm = ToEntry(index.FinalNorm(dtype)),
    };

    /// <summary>A BERT-family encoder's: its family, every layer, no final norm (post-LayerNorm blocks end with their own).</summary>
    public static ShardManifest Build(string modelId, string revision, BertConfig config, ShardIndex index, string dtype) => new()
    {
        Model = modelId,
        Revision = revision,
        Family = config.ModelType,
        NLayer = config.NumLayers,
        NEmbd = config.HiddenSize,
        NHead = config.NumHeads,
        DType = dtype,
        LayerNormEpsilon = config.LayerNormEpsilon,
        Shards = [.. Enumerable.Range(0, config.NumLayers).Select(l => ToEntry(index.Layer(l, dtype)))],
        FinalNorm = null,
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
