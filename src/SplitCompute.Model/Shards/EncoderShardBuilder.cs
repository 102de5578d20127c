using System.Security.Cryptography;
using System.Text;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Shards;

/// <summary>
/// Cuts a BERT-family encoder into per-layer shards (f32 and f16; no final norm: the blocks are post-LayerNorm), with BertModel's
/// names whatever prefix the checkpoint uses ("bert.", "roberta."), so an edge binds them as <see cref="BertCpuEncoder"/> does.
/// The embeddings stay in the cloud: a split always runs them there.
/// </summary>
public static class EncoderShardBuilder
{
    /// <summary>The files whose bytes decide an encoder's outputs: weights, layout, tokenizer.</summary>
    private static readonly string[] RevisionFiles =
    [
        "config.json", "modules.json", "1_Pooling/config.json", "sentence_bert_config.json", "config_sentence_transformers.json",
        "tokenizer_config.json", "vocab.txt", "tokenizer.json", "model.safetensors",
    ];

    /// <summary>The current index of the encoder in <paramref name="modelDirectory"/>, at its <see cref="RevisionOf"/>.</summary>
    public static ShardIndex EnsureShards(string modelDirectory, string shardDirectory) =>
        EnsureShards(modelDirectory, shardDirectory, BertConfig.Load(modelDirectory), RevisionOf(modelDirectory));

    /// <summary>
    /// SHA-256 over every file that shapes an output (<see cref="RevisionFiles"/>: weights, pooling, prompts, vocabulary), first 16
    /// hex digits as GPT-2's revisions: a hidden state is valid only with the same revision.
    /// </summary>
    public static string RevisionOf(string modelDirectory)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var file in RevisionFiles)
        {
            var path = Path.Combine(modelDirectory, file);
            if (!File.Exists(path)) continue;
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\n"));
            using var stream = File.OpenRead(path);
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer.AsSpan(0, read));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>The current index, building the shards first if they are missing or stale (as <see cref="ShardBuilder.EnsureShards"/>).</summary>
    public static ShardIndex EnsureShards(string modelDirectory, string shardDirectory, BertConfig config, string revision)
    {
        ArgumentNullException.ThrowIfNull(config);
        var existing = ShardIndex.TryLoad(Path.Combine(shardDirectory, ShardIndex.FileName));
        var store = new ShardStore(shardDirectory);
        if (existing is not null && existing.Source == ShardBuilder.Fingerprint(modelDirectory) && existing.Revision == revision
            && existing.NLayer == config.NumLayers && existing.Shards.All(s => store.TryResolve(s.Sha256) is not null))
            return existing;
        return Build(modelDirectory, shardDirectory, config, revision);
    }

    public static ShardIndex Build(string modelDirectory, string shardDirectory, BertConfig config, string revision)
    {
        ArgumentNullException.ThrowIfNull(config);
        Directory.CreateDirectory(shardDirectory);
        var store = new ShardStore(shardDirectory);
        var source = ShardBuilder.Fingerprint(modelDirectory);
        using var checkpoint = Checkpoint.Open(modelDirectory);
        var prefix = BertCpuEncoder.PrefixOf(checkpoint)
            ?? throw new ModelFormatException($"{modelDirectory}: no embeddings.word_embeddings.weight (with or without a bert./roberta. prefix): not a BERT-family checkpoint");
        var entries = new List<ShardEntry>();
        foreach (var dtype in ShardBuilder.DTypes)
        {
            for (var layer = 0; layer < config.NumLayers; layer++)
            {
                var tensors = BertTensorNames.Layer(config, layer).ToArray();
                entries.Add(ShardBuilder.WriteShard(checkpoint, store, ShardEntry.LayerKind, layer, dtype,
                    [.. tensors.Select(t => t.Name)], [.. tensors.Select(t => t.Shape)], prefix));
            }
        }
        var index = new ShardIndex(ShardIndex.CurrentFormatVersion, Path.GetFileName(Path.GetFullPath(modelDirectory)), revision, config.NumLayers, source, [.. entries]);
        index.Save(Path.Combine(shardDirectory, ShardIndex.FileName));
        return index;
    }
}
