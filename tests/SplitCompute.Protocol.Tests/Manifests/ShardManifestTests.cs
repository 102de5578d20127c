using System.Text.Json.Nodes;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.Protocol.Tests.Manifests;

public sealed class ShardManifestTests
{
    [Fact]
    public void JsonRoundTrip()
    {
        var manifest = Fixtures.Manifest(12, 768);
        var json = manifest.ToJson();
        var parsed = ShardManifest.FromJson(json);

        Assert.Equal(manifest, parsed);
        Assert.Equal(json, parsed.ToJson());
        Assert.Equal(manifest, ShardManifest.FromJson(manifest.ToJsonUtf8()));
    }

    [Fact]
    public void JsonUsesSnakeCaseAndOmitsTheFinalNormLayer()
    {
        var node = JsonNode.Parse(Fixtures.Manifest(2, 8).ToJson())!;
        Assert.Equal(2, (int)node["n_layer"]!);
        Assert.Equal(8, (int)node["n_embd"]!);
        Assert.Equal(2, (int)node["n_head"]!);
        Assert.Equal("f32", (string?)node["dtype"]);
        Assert.Equal(1e-5, (double)node["layer_norm_epsilon"]!);
        Assert.Equal(1, (int)node["shards"]![1]!["layer"]!);
        Assert.Equal("layer", (string?)node["shards"]![1]!["kind"]);
        Assert.Equal(Fixtures.Hash("layer1"), (string?)node["shards"]![1]!["sha256"]);
        Assert.Equal("final_norm", (string?)node["final_norm"]!["kind"]);
        Assert.False(((JsonObject)node["final_norm"]!).ContainsKey("layer"));
    }

    [Fact]
    public void UnknownFieldsAreIgnored()
    {
        var node = JsonNode.Parse(Fixtures.Manifest().ToJson())!;
        node["future"] = "x";
        node["shards"]![0]!["compression"] = "none";
        Assert.Equal(Fixtures.Manifest(), ShardManifest.FromJson(node.ToJsonString()));
    }

    [Theory]
    [InlineData("model")]
    [InlineData("n_layer")]
    [InlineData("shards")]
    public void MissingFieldsAreRefused(string field)
    {
        var node = (JsonObject)JsonNode.Parse(Fixtures.Manifest().ToJson())!;
        node.Remove(field);
        var e = Assert.Throws<ProtocolException>(() => ShardManifest.FromJson(node.ToJsonString()));
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("manifest: not a valid shard manifest: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gpt2_manifest_needs_its_final_norm_and_an_encoders_has_none()
    {
        var node = (JsonObject)JsonNode.Parse(Fixtures.Manifest().ToJson())!;
        node.Remove("final_norm");
        Assert.Equal("final_norm: expected an object, found null", Assert.Throws<ProtocolException>(() => ShardManifest.FromJson(node.ToJsonString())).Message);
        node["family"] = "bert";
        var encoder = ShardManifest.FromJson(node.ToJsonString());
        Assert.Equal(("bert", false, null), (encoder.Family, encoder.IsGpt2, encoder.FinalNorm));
        Assert.Equal(encoder.Shards, encoder.TailEntries);
        var withNorm = (JsonObject)JsonNode.Parse(Fixtures.Manifest().ToJson())!;
        withNorm["family"] = "bert";
        Assert.StartsWith("final_norm: expected none", Assert.Throws<ProtocolException>(() => ShardManifest.FromJson(withNorm.ToJsonString())).Message, StringComparison.Ordinal);
        withNorm["family"] = "t5";
        Assert.StartsWith("family: expected one of \"gpt2\"", Assert.Throws<ProtocolException>(() => ShardManifest.FromJson(withNorm.ToJsonString())).Message, StringComparison.Ordinal);
        Assert.Equal("gpt2", Fixtures.Manifest().Family);  // absent in older manifests: GPT-2
    }

    [Theory]
    [InlineData("{\"model\": null}")]
    [InlineData("[]")]
    [InlineData("not json")]
    [InlineData("null")]
    public void NonManifestsAreRefused(string json) =>
        Assert.StartsWith("manifest: ", Assert.Throws<ProtocolException>(() => ShardManifest.FromJson(json)).Message, StringComparison.Ordinal);

    public static TheoryData<string, string, string> ValidationFailures => new()
    {
        { "shards[1].sha256", "\"ABCDEF\"", "expected 64 lowercase hex chars, found \"ABCDEF\"" },
        { "shards[1].sha256", "\"" + new string('A', 64) + "\"", "expected 64 lowercase hex chars" },
        { "shards[1].bytes", "0", "expected > 0, found 0" },
        { "shards[1].url", "\"https://evil.example/x\"", "expected a relative URL" },
        { "shards[1].url", "\"//evil.example/x\"", "expected a relative URL" },
        { "shards[1].url", "\"/v1/shards/../../etc/passwd\"", "expected a relative URL" },
        { "shards[1].url", "\"/v1/shards/%2e%2e/x\"", "expected a relative URL" },
        { "shards[1].url", "\"v1/shards/x\"", "expected a relative URL" },
        { "shards[1].layer", "3", "layers must be unique and contiguous: expected 1 after 0, found 3" },
        { "shards[1].layer", "0", "layers must be unique and contiguous: expected 1 after 0, found 0" },
        { "shards[1].layer", "null", "expected a layer index, found none" },
        { "shards[1].kind", "\"final_norm\"", "expected \"layer\", found \"final_norm\"" },
        { "shards[1].dtype", "\"int8\"", "expected \"f32\", \"f16\" or \"bf16\", found \"int8\"" },
        { "shards[1].tensors", "[]", "expected 1..64 names, found 0" },
        { "shards[1].tensors", "[\"a\", \"a\"]", "tensor \"a\" is listed twice" },
        { "final_norm.kind", "\"layer\"", "expected \"final_norm\", found \"layer\"" },
        { "final_norm.layer", "3", "expected none, found 3" },
        { "n_head", "3", "expected a positive divisor of n_embd 8, found 3" },
        { "n_layer", "0", "expected 1..1024, found 0" },
        { "layer_norm_epsilon", "0", "expected a finite value in (0, 1), found 0" },
        { "dtype", "\"f64\"", "expected \"f32\", \"f16\" or \"bf16\", found \"f64\"" },
        { "revision", "\"\"", "expected 1..256 printable ASCII chars, found \"\"" },
    };

    [Theory]
    [MemberData(nameof(ValidationFailures))]
    public void ValidateNamesTheField(string path, string json, string expected)
    {
        var root = JsonNode.Parse(Fixtures.Manifest(4, 8).ToJson())!;
        Set(root, path, JsonNode.Parse(json));
        var e = Assert.Throws<ProtocolException>(() => ShardManifest.FromJson(root.ToJsonString()));
        Assert.StartsWith(path, e.Field, StringComparison.Ordinal); // a duplicate tensor is named down to its index
        Assert.StartsWith(e.Field + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LayerOutOfRangeIsRefused()
    {
        var e = Assert.Throws<ProtocolException>(() => (Fixtures.Manifest(4, 8) with { NLayer = 3, Shards = [Fixtures.LayerEntry(3)] }).Validate());
        Assert.Equal("shards[0].layer: expected 0..2, found 3", e.Message);
        e = Assert.Throws<ProtocolException>(() => (Fixtures.Manifest(2, 8) with { Shards = [.. Fixtures.Manifest(2, 8).Shards, Fixtures.LayerEntry(2)] }).Validate());
        Assert.Equal("shards: expected at most n_layer = 2 entries, found 3", e.Message);
    }

    [Fact]
    public void SliceKeepsTheRangeAndTheFinalNorm()
    {
        var manifest = Fixtures.Manifest(12, 8);
        var slice = manifest.Slice(6, 12);
        slice.Validate();
        Assert.Equal(Enumerable.Range(6, 6), slice.Shards.Select(s => s.Layer!.Value));
        Assert.Equal(6, slice.FirstLayer);
        Assert.Equal(12, slice.EndLayer);
        Assert.Equal(manifest.FinalNorm, slice.FinalNorm);
        Assert.Equal(Fixtures.LayerEntry(7), slice.ForLayer(7));
        Assert.Null(slice.ForLayer(5));
    }

    [Fact]
    public void SliceRefusesRangesItDoesNotCover()
    {
        var slice = Fixtures.Manifest(12, 8).Slice(6, 12);
        Assert.Equal(Enumerable.Range(8, 2), slice.Slice(8, 10).Shards.Select(s => s.Layer!.Value));
        Assert.Empty(slice.Slice(12, 12).Shards);
        Assert.Empty(slice.Slice(3, 3).Shards);
        Assert.Contains("are not all in this manifest, which covers [6, 12)", Assert.Throws<ArgumentException>(() => slice.Slice(5, 8)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => slice.Slice(8, 13));
        Assert.Throws<ArgumentOutOfRangeException>(() => slice.Slice(9, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => slice.Slice(-1, 8));
    }

    private static void Set(JsonNode root, string path, JsonNode? value)
    {
        var parts = path.Replace("[", ".", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal).Split('.');
        var node = root;
        for (var i = 0; i < parts.Length - 1; i++) node = int.TryParse(parts[i], out var index) ? node[index]! : node[parts[i]]!;
        var last = parts[^1];
        if (int.TryParse(last, out var at)) node[at] = value;
        else node[last] = value;
    }
}
