using System.Text.Json;
using SplitCompute.EndToEnd.Tests.OpenAi;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>
/// The JavaScript client finishing a split on WebGPU (issue 24): under Node with Dawn's Node bindings (npm webgpu, pinned) on
/// lavapipe, against the real gateway and worker, with the .NET edge's WGSL kernels read from the repository. At forced splits
/// its embeddings equal the cloud-only answer (1e-4), the second request downloads nothing, and a corrupted shard is refused
/// (its SHA-256) with the cloud's whole answer instead.
/// </summary>
public sealed class JsWebGpuTailTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly string[] Texts = ["Hello world", "The edge runs the tail on its own GPU.", "a"];

    private static readonly Lazy<Task> Install = new(() => NodeTool.RunInAsync(Path.Combine(JsClientNode.Directory, "test"), "npm",
        ["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], new Dictionary<string, string>(), TimeSpan.FromMinutes(3)));

    [SkippableTheory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("3")]
    public async Task A_split_finished_on_webgpu_equals_the_cloud_only_answer(string k)
    {
        var result = await EmbedAsync(k, corrupt: false);
        Assert.True(result.TryGetProperty("path", out var path), $"the client failed: {result}");
        Assert.True(path.GetString() == "edge", $"not finished on the edge: {result}");
        Assert.Equal(int.Parse(k, System.Globalization.CultureInfo.InvariantCulture), result.GetProperty("k").GetInt32());
        Assert.Equal("edge", result.GetProperty("againPath").GetString());
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, Vectors(result), tolerance: 1e-4);
    }

    [SkippableFact]
    public async Task A_corrupted_shard_is_refused_and_the_cloud_answers_whole()
    {
        var result = await EmbedAsync("1", corrupt: true);
        Assert.True(result.TryGetProperty("path", out var path), $"the client failed: {result}");
        Assert.True(path.GetString() == "cloud-fallback", $"not a fallback: {result}");
        Assert.Contains(result.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("sha256", StringComparison.Ordinal) && w.GetString()!.Contains("refused", StringComparison.Ordinal));
        Assert.Equal(0, result.GetProperty("heldShards").GetInt32());
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, Vectors(result));
    }

    private async Task<JsonElement> EmbedAsync(string split, bool corrupt)
    {
        var noWebGpu = Testing.WebGpuAvailability.SkipReason;
        Skip.If(noWebGpu is not null, noWebGpu);
        var missing = NodeTool.Missing("node", "npm");
        Skip.If(missing is not null && Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") != "1", $"{missing} is not on PATH");
        await Install.Value;
        var environment = new Dictionary<string, string>
        {
            ["SPLITCOMPUTE_GATEWAY"] = cluster.GatewayUri.ToString(),
            ["SPLITCOMPUTE_INPUT"] = JsonSerializer.Serialize(Texts),
            ["SPLITCOMPUTE_CAPABILITIES"] = """{"perf": {"gflops": 5000}, "network": {"downlinkMbps": 10000, "rttMs": 1}}""",
            ["SPLITCOMPUTE_SPLIT"] = split,
            ["SPLITCOMPUTE_CORRUPT_SHARDS"] = corrupt ? "1" : "0",
        };
        return JsonDocument.Parse(await JsClientNode.RunAsync(["test/embed-webgpu.mjs"], environment)).RootElement.Clone();
    }

    private static float[][] Vectors(JsonElement result) =>
        [.. result.GetProperty("embeddings").EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetSingle()).ToArray())];
}
