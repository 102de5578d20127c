using SplitCompute.Model.Encoders;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Tail;

/// <summary>
/// Binds a BERT-family encoder's blocks [k, N) from its shard files (issue 22): the shape from the manifest, the MLP width from
/// the shards themselves (config.json does not travel), no embeddings (the cloud ran them).
/// </summary>
internal static class EncoderTail
{
    public static BertCpuEncoder Bind(string label, IReadOnlyList<string> shardPaths, ShardManifest manifest, int k)
    {
        var checkpoint = Checkpoint.OpenFiles(label, shardPaths);
        try
        {
            var mlp = $"encoder.layer.{k}.intermediate.dense.weight";
            if (!checkpoint.Contains(mlp)) throw new ModelFormatException($"{label}: {mlp} is missing (not a {manifest.Family} layer shard)");
            var intermediate = (int)checkpoint.GetInfo(mlp).Shape[0];
            // Vocabulary, positions and token types concern the embeddings only; 1 keeps the config valid.
            var config = new BertConfig(manifest.Family, VocabSize: 1, manifest.NEmbd, manifest.NLayer, manifest.NHead, intermediate, MaxPositions: 1,
                TypeVocabSize: 1, (float)manifest.LayerNormEpsilon, PadTokenId: 0);
            return BertCpuEncoder.BindTail(checkpoint, config, k);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }
}
