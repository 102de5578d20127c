using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SplitCompute.Model.Config;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Shards;

/// <summary>
/// Cuts a model into per-layer safetensors shards in f32 and f16 (plus the final norm), each stored under its SHA-256, and writes
/// <c>index.json</c>. Shards are made once per revision: <see cref="EnsureShards"/> reuses an index whose source fingerprint matches.
/// </summary>
public static class ShardBuilder
{
    public static readonly string[] DTypes = ["f32", "f16"];

    /// <summary>Returns the current index for the model, building the shards first if they are missing or stale.</summary>
    public static ShardIndex EnsureShards(string modelDirectory, string shardDirectory)
    {
        var existing = ShardIndex.TryLoad(Path.Combine(shardDirectory, ShardIndex.FileName));
        var store = new ShardStore(shardDirectory);
        if (existing is not null && existing.Source == Fingerprint(modelDirectory) && existing.Shards.All(s => store.TryResolve(s.Sha256) is not null))
            return existing;
        return Build(modelDirectory, shardDirectory);
    }

    public static ShardIndex Build(string modelDirectory, string shardDirectory)
    {
        var config = Gpt2Config.Load(modelDirectory);
        System.IO.Directory.CreateDirectory(shardDirectory);
        var store = new ShardStore(shardDirectory);
        var source = Fingerprint(modelDirectory);
        using var checkpoint = Checkpoint.Open(modelDirectory);

        var entries = new List<ShardEntry>();
        foreach (var dtype in DTypes)
        {
            for (var layer = 0; layer < config.NLayer; layer++)
            {
                var names = Gpt2TensorNames.LayerSuffixes.Select(s => Gpt2TensorNames.Layer(layer, s)).ToArray();
                var shapes = Gpt2TensorNames.LayerSuffixes.Select(s => Gpt2TensorNames.LayerShape(s, config.NEmbd)).ToArray();
                entries.Add(WriteShard(checkpoint, store, ShardEntry.LayerKind, layer, dtype, names, shapes));
            }
            entries.Add(WriteShard(checkpoint, store, ShardEntry.FinalNormKind, null, dtype,
                [Gpt2TensorNames.FinalNormWeight, Gpt2TensorNames.FinalNormBias], [[config.NEmbd], [config.NEmbd]]));
        }

        var index = new ShardIndex(ShardIndex.CurrentFormatVersion, Path.GetFileName(Path.GetFullPath(modelDirectory)),
            Revision(checkpoint, config, entries), config.NLayer, source, [.. entries]);
        index.Save(Path.Combine(shardDirectory, ShardIndex.FileName));
        return index;
    }

    /// <summary>Name, size and modification time of config.json and every safetensors file: cheap to compute, changes when they do.</summary>
    public static string Fingerprint(string modelDirectory)
    {
        var files = System.IO.Directory.EnumerateFiles(modelDirectory, "*.safetensors*")
            .Append(Path.Combine(modelDirectory, Gpt2Config.FileName))
            .Where(File.Exists)
            .Select(path => new FileInfo(path))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));
        return string.Join(';', files);
    }

    /// <param name="sourcePrefix">Prepended to each name when reading the checkpoint (e.g. "bert."), never written into the shard.</param>
    internal static ShardEntry WriteShard(Checkpoint checkpoint, ShardStore store, string kind, int? layer, string dtype, string[] names, long[][] shapes,
        string sourcePrefix = "")
    {
        var tensorDType = dtype == "f16" ? TensorDType.F16 : TensorDType.F32;
        var writer = new SafeTensorsWriter(new Dictionary<string, string> { ["format"] = "pt", ["splitcompute.kind"] = kind });
        for (var i = 0; i < names.Length; i++)
        {
            var weight = checkpoint.ReadFloat32(sourcePrefix + names[i], shapes[i]);
            writer.Add(names[i], tensorDType, shapes[i], bytes => Encode(weight.Span, tensorDType, bytes));
        }
        var temporary = Path.Combine(store.Directory, $".building-{Guid.NewGuid():N}{ShardStore.Extension}");
        writer.Write(temporary);
        string sha256;
        using (var stream = File.OpenRead(temporary)) sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
        var bytes = new FileInfo(temporary).Length;
        File.Move(temporary, store.PathFor(sha256), overwrite: true);
        return new ShardEntry(kind, layer, dtype, sha256, bytes, names);
    }

    private static void Encode(ReadOnlySpan<float> values, TensorDType dtype, Span<byte> target)
    {
        if (dtype == TensorDType.F16) TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<byte, Half>(target));
        else MemoryMarshal.AsBytes(values).CopyTo(target);
    }

    /// <summary>SHA-256 over the config, the embeddings and the f32 shard hashes: every weight that shapes an output.</summary>
    private static string Revision(Checkpoint checkpoint, Gpt2Config config, IEnumerable<ShardEntry> entries)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{config.VocabSize}/{config.NPositions}/{config.NEmbd}/{config.NLayer}/{config.NHead}/{config.LayerNormEpsilon:R}/{config.ActivationFunction}")));
        hash.AppendData(MemoryMarshal.AsBytes(checkpoint.ReadFloat32(Gpt2TensorNames.TokenEmbedding, config.VocabSize, config.NEmbd).Span));
        hash.AppendData(MemoryMarshal.AsBytes(checkpoint.ReadFloat32(Gpt2TensorNames.PositionEmbedding, config.NPositions, config.NEmbd).Span));
        foreach (var entry in entries.Where(e => e.DType == "f32")) hash.AppendData(Encoding.ASCII.GetBytes(entry.Sha256));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
