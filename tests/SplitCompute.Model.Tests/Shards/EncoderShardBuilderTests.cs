using System.Runtime.InteropServices;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Model.Shards;
using SplitCompute.Testing;

namespace SplitCompute.Model.Tests.Shards;

/// <summary>Encoder shards: one per layer and dtype, BertModel's names whatever prefix the checkpoint used, reused while unchanged.</summary>
public sealed class EncoderShardBuilderTests : IDisposable
{
    private readonly TempDirectory _root = new();

    [Fact]
    public void A_bert_prefixed_checkpoint_gives_the_same_shards_as_a_plain_one()
    {
        var plain = Path.Combine(_root.Path, "plain");
        var prefixed = Path.Combine(_root.Path, "prefixed");
        var preset = EncoderPreset.ByName("bert-tiny");
        RandomEncoderWriter.Write(plain, preset, seed: 2);
        RandomEncoderWriter.Write(prefixed, preset, seed: 2);
        Prefix(Path.Combine(prefixed, "model.safetensors"), "bert.");  // as BertForMaskedLM and friends save it

        var config = BertConfig.Load(plain);
        var a = EncoderShardBuilder.Build(plain, Path.Combine(plain, "shards"), config, "r1");
        var b = EncoderShardBuilder.Build(prefixed, Path.Combine(prefixed, "shards"), config, "r1");
        Assert.Equal(2 * config.NumLayers, a.Shards.Length);  // f32 and f16, no final norm
        Assert.Equal(a.Shards.Select(s => s.Sha256), b.Shards.Select(s => s.Sha256));
        Assert.All(a.Shards, s => Assert.All(s.Tensors, t => Assert.StartsWith($"encoder.layer.{s.Layer}.", t, StringComparison.Ordinal)));

        // A tail bound from the shards runs as the whole model does from the same k.
        using var whole = BertCpuEncoder.Load(prefixed, config);
        var hidden = whole.Embed([[101, 7592, 2088, 102], [101, 102]]);
        whole.RunLayers(hidden, 0, 1);
        var copy = new SplitCompute.Model.Forward.HiddenState(hidden.Batch, hidden.Channels, (float[])hidden.Data.Clone(), 1);
        whole.RunLayers(hidden, 1, config.NumLayers);
        var store = new ShardStore(Path.Combine(plain, "shards"));
        using var tail = BertCpuEncoder.BindTail(Checkpoint.OpenFiles("test shards", [store.TryResolve(a.Layer(1, "f32").Sha256)!]), config, 1);
        tail.RunLayers(copy, 1, config.NumLayers);
        Assert.Equal(hidden.Data, copy.Data);
    }

    [Fact]
    public void Shards_are_reused_while_the_revision_holds_and_rebuilt_when_it_changes()
    {
        var model = Path.Combine(_root.Path, "m");
        RandomEncoderWriter.Write(model, EncoderPreset.ByName("bert-tiny"), seed: 3);
        var shards = Path.Combine(model, "shards");
        var first = EncoderShardBuilder.EnsureShards(model, shards);
        Assert.Equal(EncoderShardBuilder.RevisionOf(model), first.Revision);
        var indexWritten = File.GetLastWriteTimeUtc(Path.Combine(shards, ShardIndex.FileName));
        var again = EncoderShardBuilder.EnsureShards(model, shards);
        Assert.Equal(first.Revision, again.Revision);
        Assert.Equal(first.Shards.Select(x => x.Sha256), again.Shards.Select(x => x.Sha256));
        Assert.Equal(indexWritten, File.GetLastWriteTimeUtc(Path.Combine(shards, ShardIndex.FileName)));
        File.AppendAllText(Path.Combine(model, "vocab.txt"), "[extra]\n");  // the tokenizer changed: outputs may too
        Assert.NotEqual(first.Revision, EncoderShardBuilder.EnsureShards(model, shards).Revision);
    }

    /// <summary>Rewrites a safetensors file with every tensor name prefixed.</summary>
    private static void Prefix(string path, string prefix)
    {
        var copy = path + ".orig";
        File.Move(path, copy);
        using (var source = Checkpoint.OpenFile(copy))
        {
            var writer = new SafeTensorsWriter(new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var name in source.TensorNames)
            {
                var info = source.GetInfo(name);
                var values = source.ReadFloat32(name).Span.ToArray();
                writer.Add(prefix + name, TensorDType.F32, info.Shape, bytes => MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(bytes));
            }
            writer.Write(path);
        }
        File.Delete(copy);
    }

    public void Dispose() => _root.Dispose();
}
