using System.Runtime.InteropServices;
using System.Text.Json;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Cli.Tests;

/// <summary>The real `splitcompute` CLI against Hugging Face's outputs and on models it creates itself.</summary>
public sealed class EmbedCommandTests
{
    [Theory]
    [InlineData("gpt2-tiny", null)]
    [InlineData("gpt2-mini", 3)]
    public void Embed_ids_reproduces_the_fixture_mean_pooled(string fixture, int? split)
    {
        var directory = RepositoryPaths.Fixture(fixture);
        var (ids, expected, c) = ReadReference(directory);

        List<string> args = ["embed", "--model", directory, "--ids", ids, "--json"];
        if (split is { } k) args.AddRange(["--split", k.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var (exit, stdout, stderr) = CliProcess.Run([.. args]);
        Assert.True(exit == 0, $"exit {exit}: {stderr}");

        using var json = JsonDocument.Parse(stdout);
        var embeddings = json.RootElement.GetProperty("embeddings").EnumerateArray()
            .SelectMany(row => row.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        Assert.Equal(expected.Length, embeddings.Length);
        Assert.Equal(c, json.RootElement.GetProperty("embeddings")[0].GetArrayLength());
        var max = embeddings.Zip(expected).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max <= 1e-4, $"max |difference| from mean_pooled: {max:E3}");
        Assert.Equal(split ?? json.RootElement.GetProperty("layers").GetInt32(), json.RootElement.GetProperty("split").GetInt32());
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    public void Model_init_writes_an_encoder_preset_that_embed_runs_as_sentence_transformers_would(int? split)
    {
        var root = Directory.CreateTempSubdirectory("splitcompute-cli-").FullName;
        try
        {
            var model = Path.Combine(root, "bert-tiny");
            var (initExit, initOut, initErr) = CliProcess.Run("model", "init", "--preset", "bert-tiny", "--seed", "3", "--out", model);
            Assert.True(initExit == 0, initErr);
            Assert.Contains("bert-tiny (2 layers x 128, mean pooling, normalised)", initOut, StringComparison.Ordinal);
            string[] texts = ["Hello, world!", "Naïve café"];
            List<string> args = ["embed", "--model", model, "--text", texts[0], "--text", texts[1], "--json"];
            if (split is { } k) args.AddRange(["--split", k.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            var (exit, stdout, stderr) = CliProcess.Run([.. args]);
            Assert.True(exit == 0, $"exit {exit}: {stderr}");
            using var json = JsonDocument.Parse(stdout);
            var embeddings = json.RootElement.GetProperty("embeddings").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
            using var reference = SplitCompute.Model.Encoders.CpuSentenceEncoder.Load(model);
            var expected = reference.Encode(texts);
            var max = embeddings.SelectMany(e => e).Zip(expected.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(max <= 1e-5, $"max |embed - the model run whole| {max:E3}");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Model_init_writes_a_directory_that_embed_reads_and_the_same_seed_gives_the_same_weights()
    {
        var root = Directory.CreateTempSubdirectory("splitcompute-cli-").FullName;
        try
        {
            string Init(string name, string seed)
            {
                var output = Path.Combine(root, name);
                var (exit, _, stderr) = CliProcess.Run("model", "init", "--preset", "tiny", "--seed", seed, "--out", output);
                Assert.True(exit == 0, stderr);
                return output;
            }
            var a = Init("a", "7");
            var b = Init("b", "7");
            var other = Init("c", "8");
            foreach (var file in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt" })
                Assert.True(File.Exists(Path.Combine(a, file)), $"{file} missing");
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
            Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(other, "model.safetensors")));

            var (exit, stdout, stderr) = CliProcess.Run("embed", "--model", a, "--text", "Hello world", "--text", "Split me at layer two.", "--split", "2", "--json");
            Assert.True(exit == 0, stderr);
            using var json = JsonDocument.Parse(stdout);
            Assert.Equal([2, 6], json.RootElement.GetProperty("tokens").EnumerateArray().Select(v => v.GetInt32()));
            Assert.Equal(2, json.RootElement.GetProperty("embeddings").GetArrayLength());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("1,2,x", "'x' in sequence 0")]
    [InlineData("1,2;;3", "sequence 1 is empty")]
    public void Bad_ids_give_a_clear_error_and_a_nonzero_exit(string ids, string expected)
    {
        var (exit, _, stderr) = CliProcess.Run("embed", "--model", RepositoryPaths.Fixture("gpt2-tiny"), "--ids", ids);
        Assert.NotEqual(0, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_model_directory_names_what_was_looked_for()
    {
        var (exit, _, stderr) = CliProcess.Run("embed", "--model", "/nonexistent/model", "--ids", "1,2");
        Assert.NotEqual(0, exit);
        Assert.Contains("/nonexistent/model", stderr, StringComparison.Ordinal);
    }

    private static (string Ids, float[] MeanPooled, int Channels) ReadReference(string directory)
    {
        using var file = SafeTensorsFile.Open(Path.Combine(directory, "reference.safetensors"));
        var idsInfo = file.Tensors["input_ids"];
        var (b, t) = ((int)idsInfo.Shape[0], (int)idsInfo.Shape[1]);
        var ids = MemoryMarshal.Cast<byte, long>(file.GetBytes(idsInfo)).ToArray();
        var mask = MemoryMarshal.Cast<byte, long>(file.GetBytes(file.Tensors["attention_mask"])).ToArray();
        var sequences = Enumerable.Range(0, b).Select(row =>
            string.Join(',', Enumerable.Range(0, t).Where(i => mask[(row * t) + i] == 1).Select(i => ids[(row * t) + i])));
        var pooled = file.Tensors["mean_pooled"];
        return (string.Join(';', sequences), MemoryMarshal.Cast<byte, float>(file.GetBytes(pooled)).ToArray(), (int)pooled.Shape[1]);
    }
}
