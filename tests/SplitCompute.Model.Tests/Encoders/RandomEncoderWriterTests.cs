using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Testing;

namespace SplitCompute.Model.Tests.Encoders;

/// <summary>Seeded encoders in sentence-transformers' layout (issue 22): read back as written, BertModel's names and shapes, seeded.</summary>
public sealed class RandomEncoderWriterTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("encoder-writer-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly EncoderPreset Small = new("small-test",
        new BertConfig("bert", 30_522, HiddenSize: 32, NumLayers: 2, NumHeads: 4, IntermediateSize: 64, MaxPositions: 64, TypeVocabSize: 2, LayerNormEpsilon: 1e-12f, PadTokenId: 0),
        SentencePooling.Cls, Normalize: true, MaxSequenceLength: 64);

    [Fact]
    public void The_minilm_l6_preset_is_read_back_as_all_MiniLM_L6_v2s_shape()
    {
        var dir = Path.Combine(_root, "minilm");
        RandomEncoderWriter.Write(dir, EncoderPreset.ByName("minilm-l6"), seed: 1);
        var layout = SentenceTransformerLayout.Load(dir);
        var preset = EncoderPreset.ByName("minilm-l6");
        Assert.Equal(preset.Config, layout.Config);
        Assert.Equal((SentencePooling.Mean, true, 256), (layout.Pooling, layout.Normalize, layout.MaxSequenceLength));
        Assert.Equal(30_522, File.ReadAllLines(Path.Combine(dir, "vocab.txt")).Length);
    }

    [Fact]
    public void Tensors_are_BertModels_with_its_initialisation_and_the_seed_decides_them()
    {
        var a = Path.Combine(_root, "a");
        RandomEncoderWriter.Write(a, Small, seed: 7);
        using (var file = SafeTensorsFile.Open(Path.Combine(a, "model.safetensors")))
        {
            var expected = BertTensorNames.All(Small.Config).ToDictionary(t => t.Name, t => t.Shape);
            Assert.Equal(expected.Keys.Order(), file.Tensors.Keys.Order());
            foreach (var (name, info) in file.Tensors) Assert.Equal(expected[name], info.Shape.Select(d => (long)d));
            float[] Values(string name) => MemoryMarshal.Cast<byte, float>(file.GetBytes(file.Tensors[name])).ToArray();
            var words = Values("embeddings.word_embeddings.weight");
            Assert.All(words.Take(32), v => Assert.Equal(0f, v));                  // the padding row ([PAD] = 0)
            Assert.InRange(words.Skip(32).Select(v => (double)v * v).Average(), 0.02 * 0.02 * 0.8, 0.02 * 0.02 * 1.2);
            Assert.All(Values("encoder.layer.1.output.LayerNorm.weight"), v => Assert.Equal(1f, v));
            Assert.All(Values("encoder.layer.0.intermediate.dense.bias"), v => Assert.Equal(0f, v));
        }
        var b = Path.Combine(_root, "b");
        var c = Path.Combine(_root, "c");
        RandomEncoderWriter.Write(b, Small, seed: 7);
        RandomEncoderWriter.Write(c, Small, seed: 8);
        string Hash(string dir) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "model.safetensors"))));
        Assert.Equal(Hash(a), Hash(b));
        Assert.NotEqual(Hash(a), Hash(c));
    }

    [Fact]
    public void Presets_have_the_shapes_of_the_models_they_are_named_after()
    {
        Assert.Equal(["bert-tiny", "minilm-l6", "bge-small", "bge-base", "bge-large"], EncoderPreset.All.Select(p => p.Name));
        Assert.Equal((2, 128, 2, 512), Shape("bert-tiny"));
        Assert.Equal((6, 384, 12, 1536), Shape("minilm-l6"));
        Assert.Equal((12, 768, 12, 3072), Shape("bge-base"));
        Assert.Equal((24, 1024, 16, 4096), Shape("bge-large"));
        Assert.Throws<ArgumentException>(() => EncoderPreset.ByName("gpt2"));

        static (int, int, int, int) Shape(string name)
        {
            var c = EncoderPreset.ByName(name).Config;
            return (c.NumLayers, c.HiddenSize, c.NumHeads, c.IntermediateSize);
        }
    }

    [Fact]
    public void Prompts_include_prompt_and_a_model_without_Normalize_are_written_as_sentence_transformers_reads_them()
    {
        using var dir = new TempDirectory();
        var preset = EncoderPreset.ByName("bert-tiny") with { Normalize = false, Pooling = SentencePooling.Max };
        RandomEncoderWriter.Write(dir.Path, preset, 5, new EncoderPrompts(new Dictionary<string, string> { ["query"] = "query: " }, "query", IncludePrompt: false));
        var layout = SentenceTransformerLayout.Load(dir.Path);
        Assert.Equal((SentencePooling.Max, false, false), (layout.Pooling, layout.Normalize, layout.PoolingIncludesPrompt));
        Assert.Equal("query: ", layout.Prompts["query"]);
        Assert.Equal("query", layout.DefaultPromptName);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "2_Normalize")));
    }
}
