using System.Text.Json.Nodes;
using SplitCompute.Model.Config;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Tests.Config;

public sealed class Gpt2ConfigTests
{
    [Fact]
    public void LoadsTheHuggingFaceFixture()
    {
        var config = Gpt2Config.Load(RepositoryPaths.Fixture("gpt2-tiny"));
        Assert.Equal(new Gpt2Config(1000, 64, 64, 4, 4, 1e-5f, "gelu_new"), config);
        Assert.Equal(16, config.HeadDim);
        Assert.Equal(256, config.InnerDim);
    }

    [Fact]
    public void SaveLoadRoundTripAndHuggingFaceKeys()
    {
        using var dir = new TempDirectory();
        var config = new Gpt2Config(50257, 512, 96, 3, 6, 1e-6f, "gelu_pytorch_tanh");
        config.Save(dir.Path);
        Assert.Equal(config, Gpt2Config.Load(dir.Path));
        Assert.False(File.Exists(dir.File("config.json.tmp")));

        var json = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        Assert.Equal("gpt2", (string?)json["model_type"]);
        Assert.Equal("GPT2LMHeadModel", (string?)json["architectures"]![0]);
        Assert.Equal(512, (int?)json["n_ctx"]);
        Assert.Equal(512, (int?)json["n_positions"]);
        Assert.Equal(50256, (int?)json["bos_token_id"]);
        Assert.Equal(50256, (int?)json["eos_token_id"]);
        Assert.Equal("float32", (string?)json["torch_dtype"]);
    }

    [Fact]
    public void SmallVocabOmitsGpt2SpecialTokens()
    {
        using var dir = new TempDirectory();
        new Gpt2Config(1000, 64, 64, 4, 4, 1e-5f, "gelu_new").Save(dir.Path, "float16");
        var json = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        Assert.False(json.ContainsKey("bos_token_id"));
        Assert.Equal("float16", (string?)json["torch_dtype"]);
    }

    [Theory]
    [InlineData("tiny", 4, 64, 4)]
    [InlineData("gpt2", 12, 768, 12)]
    [InlineData("gpt2-medium", 24, 1024, 16)]
    [InlineData("gpt2-large", 36, 1280, 20)]
    [InlineData("gpt2-xl", 48, 1600, 25)]
    public void Presets(string name, int layers, int embd, int heads)
    {
        var config = Gpt2Config.Preset(name);
        Assert.Equal((layers, embd, heads, 50257, 1024), (config.NLayer, config.NEmbd, config.NHead, config.VocabSize, config.NPositions));
        Assert.Equal("gelu_new", config.ActivationFunction);
        Assert.Equal(1e-5f, config.LayerNormEpsilon);
        Assert.Contains(name, Gpt2Config.PresetNames);
        using var dir = new TempDirectory();
        config.Save(dir.Path);
        Assert.Equal(config, Gpt2Config.Load(dir.Path));
    }

    [Fact]
    public void UnknownPresetListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => Gpt2Config.Preset("gpt3"));
        foreach (var name in Gpt2Config.PresetNames) Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.Equal(5, Gpt2Config.PresetNames.Count);
    }

    [Fact]
    public void DefaultsAndNCtxFallback()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), """{"vocab_size": 10, "n_ctx": 32, "n_embd": 8, "n_layer": 1, "n_head": 2}""");
        Assert.Equal(new Gpt2Config(10, 32, 8, 1, 2, 1e-5f, "gelu_new"), Gpt2Config.Load(dir.Path));
    }

    [Theory]
    [InlineData("vocab_size", "0", "vocab_size")]
    [InlineData("vocab_size", "-5", "vocab_size")]
    [InlineData("n_embd", "\"64\"", "n_embd")]
    [InlineData("n_embd", "63", "n_embd")] // not divisible by n_head 4
    [InlineData("n_layer", "2.5", "n_layer")]
    [InlineData("n_head", "0", "n_head")]
    [InlineData("n_head", "5000000000", "n_head")]
    [InlineData("n_positions", "0", "n_positions")]
    [InlineData("n_ctx", "128", "n_ctx")] // disagrees with n_positions 64
    [InlineData("layer_norm_epsilon", "0", "layer_norm_epsilon")]
    [InlineData("layer_norm_epsilon", "-1e-5", "layer_norm_epsilon")]
    [InlineData("layer_norm_epsilon", "1e300", "layer_norm_epsilon")]
    [InlineData("activation_function", "\"gelu\"", "activation_function")]
    [InlineData("activation_function", "\"relu\"", "activation_function")]
    [InlineData("model_type", "\"llama\"", "model_type")]
    [InlineData("n_inner", "100", "n_inner")]
    [InlineData("scale_attn_by_inverse_layer_idx", "true", "scale_attn_by_inverse_layer_idx")]
    [InlineData("scale_attn_weights", "false", "scale_attn_weights")]
    public void BadValueIsRefusedNamingFileAndKey(string key, string rawValue, string mentioned)
    {
        using var dir = new TempDirectory();
        var json = JsonNode.Parse(File.ReadAllText(RepositoryPaths.Fixture("gpt2-tiny", "config.json")))!.AsObject();
        json[key] = JsonNode.Parse(rawValue);
        File.WriteAllText(dir.File("config.json"), json.ToJsonString());
        var e = Assert.Throws<ModelFormatException>(() => Gpt2Config.Load(dir.Path));
        Assert.Contains(dir.File("config.json"), e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{mentioned}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vocab_size")]
    [InlineData("n_embd")]
    [InlineData("n_layer")]
    [InlineData("n_head")]
    [InlineData("n_positions")]
    public void MissingRequiredKeyIsNamed(string key)
    {
        using var dir = new TempDirectory();
        var json = JsonNode.Parse(File.ReadAllText(RepositoryPaths.Fixture("gpt2-tiny", "config.json")))!.AsObject();
        json.Remove(key);
        File.WriteAllText(dir.File("config.json"), json.ToJsonString());
        var e = Assert.Throws<ModelFormatException>(() => Gpt2Config.Load(dir.Path));
        Assert.Contains($"'{key}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{\"vocab_size\": ")]
    [InlineData("[1]")]
    public void MissingOrMalformedFileNamesTheFile(string? content)
    {
        using var dir = new TempDirectory();
        if (content is not null) File.WriteAllText(dir.File("config.json"), content);
        var e = Assert.Throws<ModelFormatException>(() => Gpt2Config.Load(dir.Path));
        Assert.Contains(dir.File("config.json"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveRefusesAnInvalidConfig()
    {
        using var dir = new TempDirectory();
        Assert.Throws<InvalidOperationException>(() => new Gpt2Config(10, 10, 10, 1, 3, 1e-5f, "gelu_new").Save(dir.Path));
        Assert.Throws<InvalidOperationException>(() => new Gpt2Config(10, 10, 8, 1, 2, 1e-5f, "gelu").Save(dir.Path));
        Assert.False(File.Exists(dir.File("config.json")));
    }
}
