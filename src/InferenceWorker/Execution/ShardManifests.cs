using SplitCompute.Model.Config;
using SplitCompute.Model.Shards;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>The wire manifest (docs/protocol.md) of a model revision's shards, as the worker publishes it: every layer plus the final norm.</summary>
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
