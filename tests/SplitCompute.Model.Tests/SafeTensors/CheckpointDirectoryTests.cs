using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Tests.SafeTensors;

/// <summary>Model-directory level failures: missing files, broken indexes, escaping shard paths.</summary>
public sealed class CheckpointDirectoryTests
{
    private static readonly Dictionary<string, string> TwoShards = new()
    {
        ["transformer.wte.weight"] = "model-00001-of-00002.safetensors",
        ["transformer.ln_f.weight"] = "model-00002-of-00002.safetensors",
    };

    private static ModelFormatException Refused(string dir, params string[] mentions)
    {
        var e = Assert.Throws<ModelFormatException>(() => Checkpoint.Open(dir).Dispose());
        foreach (var m in mentions) Assert.Contains(m, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public void DirectoryWithoutWeightsListsWhatWasLookedFor()
    {
        using var dir = new TempDirectory();
        Refused(dir.Path, dir.Path, "model.safetensors", "model.safetensors.index.json");
    }

    [Fact]
    public void MissingDirectory()
    {
        using var dir = new TempDirectory();
        Refused(dir.File("nope"), dir.File("nope"));
    }

    [Fact]
    public void IndexWithoutWeightMap()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("model.safetensors.index.json"), "{\"metadata\":{}}");
        Refused(dir.Path, dir.File("model.safetensors.index.json"), "weight_map");
    }

    [Fact]
    public void IndexNotJson()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("model.safetensors.index.json"), "{\"weight_map\":");
        Refused(dir.Path, dir.File("model.safetensors.index.json"), "JSON");
    }

    [Fact]
    public void IndexReferencesMissingShard()
    {
        using var dir = new TempDirectory();
        RoundTripTests.WriteShards(dir, TwoShards);
        File.Delete(dir.File("model-00002-of-00002.safetensors"));
        Refused(dir.Path, dir.File("model.safetensors.index.json"), "model-00002-of-00002.safetensors", "does not exist");
    }

    [Fact]
    public void IndexNamesTensorAbsentFromItsShard()
    {
        using var dir = new TempDirectory();
        var index = new Dictionary<string, string>(TwoShards) { ["transformer.wpe.weight"] = "model-00002-of-00002.safetensors" };
        RoundTripTests.WriteShards(dir, TwoShards, index);
        Refused(dir.Path, "transformer.wpe.weight", "model-00002-of-00002.safetensors");
    }

    [Theory]
    [InlineData("../escape.safetensors")]
    [InlineData("sub/../../escape.safetensors")]
    [InlineData("/etc/passwd")]
    public void IndexPathEscapingTheDirectory(string shard)
    {
        using var dir = new TempDirectory();
        var index = new Dictionary<string, string>(TwoShards) { ["transformer.ln_f.weight"] = shard };
        RoundTripTests.WriteShards(dir, TwoShards, index);
        Refused(dir.Path, "transformer.ln_f.weight", shard, "outside");
    }

    [Fact]
    public void MalformedShardNamesTheShardFile()
    {
        using var dir = new TempDirectory();
        RoundTripTests.WriteShards(dir, TwoShards);
        File.WriteAllBytes(dir.File("model-00001-of-00002.safetensors"), [1, 2, 3]);
        Refused(dir.Path, dir.File("model-00001-of-00002.safetensors"));
    }

    [Fact]
    public void MissingTensorInShardedCheckpointNamesTheShards()
    {
        using var dir = new TempDirectory();
        RoundTripTests.WriteShards(dir, TwoShards);
        using var checkpoint = Checkpoint.Open(dir.Path);
        var e = Assert.Throws<ModelFormatException>(() => checkpoint.ReadFloat32("h.0.ln_1.weight", 3));
        Assert.Contains("model.safetensors.index.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("model-00001-of-00002.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("h.0.ln_1.weight", e.Message, StringComparison.Ordinal);
    }
}
