using System.Text.Json;
using SplitCompute.EndToEnd.Tests.OpenAi;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>
/// The gateway's /demo page (issue 24) in Debian's headless Chromium, driven by puppeteer-core (pinned): with WebGPU (SwiftShader,
/// Chromium's own) it finishes a forced split on the page's GPU, equal to the cloud's answer (1e-4); without WebGPU the cloud
/// answers whole, equal too; the shards it verified are still there after a reload (Cache Storage), so nothing is downloaded
/// again; and the page renders (a screenshot).
/// </summary>
public sealed class DemoPageTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly string[] Texts = ["Hello world", "The edge runs the tail on its own GPU."];

    [SkippableFact]
    public async Task The_page_finishes_a_split_on_the_browsers_webgpu_equal_to_the_cloud()
    {
        var result = await RunAsync(split: "1", webGpu: true);
        Assert.True(result.TryGetProperty("path", out var path) && path.GetString() == "edge", $"not finished on the page's GPU: {result}");
        Assert.Equal(1, result.GetProperty("k").GetInt32());
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, Vectors(result), tolerance: 1e-4);
    }

    [SkippableFact]
    public async Task The_shard_cache_survives_a_reload()
    {
        var profile = Directory.CreateTempSubdirectory("splitcompute-chromium-profile-").FullName;
        try
        {
            var first = await RunAsync(split: "1", webGpu: true, profile: profile);
            Assert.True(first.TryGetProperty("path", out var path) && path.GetString() == "edge", $"not finished on the page's GPU: {first}");
            Assert.True(first.GetProperty("downloadedBytes").GetInt64() > 0, $"nothing downloaded on the first visit: {first}");

            var again = await RunAsync(split: "1", webGpu: true, profile: profile);  // a new browser on the same profile: a reload
            Assert.True(again.TryGetProperty("path", out var second) && second.GetString() == "edge", $"not finished on the page's GPU: {again}");
            Assert.Equal(0, again.GetProperty("downloadedBytes").GetInt64());
            Assert.True(again.GetProperty("heldShards").GetInt32() >= 4, $"the shards were not kept: {again}");
            PlainEmbeddings.AssertClose(Vectors(first), Vectors(again), tolerance: 0);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [SkippableFact]
    public async Task A_stored_shard_that_went_bad_is_downloaded_again_and_the_split_still_finishes()
    {
        var profile = Directory.CreateTempSubdirectory("splitcompute-chromium-profile-").FullName;
        try
        {
            var first = await RunAsync(split: "1", webGpu: true, profile: profile);
            Assert.True(first.TryGetProperty("path", out var path) && path.GetString() == "edge", $"not finished on the page's GPU: {first}");

            // Every stored copy has a flipped byte: the page uploads them while it checks them, finds the mismatch, drops them,
            // downloads them afresh and only then computes.
            var again = await RunAsync(split: "1", webGpu: true, profile: profile, spoilCache: true);
            Assert.Contains(again.GetProperty("logs").EnumerateArray(), l => l.GetString()!.StartsWith("spoiled: ", StringComparison.Ordinal) && !l.GetString()!.StartsWith("spoiled: 0 ", StringComparison.Ordinal));
            Assert.True(again.TryGetProperty("path", out var second) && second.GetString() == "edge", $"not finished on the page's GPU: {again}");
            Assert.Equal(first.GetProperty("downloadedBytes").GetInt64(), again.GetProperty("downloadedBytes").GetInt64());
            PlainEmbeddings.AssertClose(Vectors(first), Vectors(again), tolerance: 0);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [SkippableFact]
    public async Task Without_webgpu_the_page_gets_the_clouds_answer()
    {
        var result = await RunAsync(split: "auto", webGpu: false);
        Assert.True(result.TryGetProperty("path", out var path) && path.GetString() == "cloud", $"not the cloud path: {result}");
        Assert.Contains("no WebGPU adapter", result.GetProperty("device").GetString(), StringComparison.Ordinal);
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, Vectors(result));
    }

    [SkippableFact]
    public async Task The_page_renders_its_stages_and_embeddings()
    {
        var png = Path.Combine(Path.GetTempPath(), $"splitcompute-demo-{Guid.NewGuid():N}.png");
        try
        {
            var result = await RunAsync(split: "2", webGpu: true, screenshot: png);
            Assert.True(result.TryGetProperty("path", out _), $"the page failed: {result}");
            var bytes = await File.ReadAllBytesAsync(png);
            Assert.True(bytes.Length > 10_000 && bytes[0] == 0x89 && bytes[1] == (byte)'P', $"not a PNG screenshot ({bytes.Length} bytes)");
            // SPLITCOMPUTE_DEMO_SCREENSHOT=docs/demo-page.png keeps it (how the one in docs/ was made).
            if (Environment.GetEnvironmentVariable("SPLITCOMPUTE_DEMO_SCREENSHOT") is { Length: > 0 } keep) File.Copy(png, keep, overwrite: true);
        }
        finally
        {
            File.Delete(png);
        }
    }

    private async Task<JsonElement> RunAsync(string split, bool webGpu, string? screenshot = null, string? profile = null, bool spoilCache = false)
    {
        Skip.If(!File.Exists(HeadlessChromium.Executable) && Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") != "1",
            $"{HeadlessChromium.Executable} is missing; ./splitcompute installs Debian's chromium");
        var missing = NodeTool.Missing("node", "npm");
        Skip.If(missing is not null && Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") != "1", $"{missing} is not on PATH");
        await JsClientNode.InstallTestPackagesAsync();
        var environment = new Dictionary<string, string>
        {
            ["SPLITCOMPUTE_GATEWAY"] = cluster.GatewayUri.ToString(),
            ["SPLITCOMPUTE_INPUT"] = JsonSerializer.Serialize(Texts),
            ["SPLITCOMPUTE_SPLIT"] = split,
            ["SPLITCOMPUTE_WEBGPU"] = webGpu ? "1" : "0",
        };
        if (screenshot is not null) environment["SPLITCOMPUTE_SCREENSHOT"] = screenshot;
        if (profile is not null) environment["SPLITCOMPUTE_PROFILE"] = profile;
        if (spoilCache) environment["SPLITCOMPUTE_SPOIL_CACHE"] = "1";
        return JsonDocument.Parse(await NodeTool.RunInAsync(JsClientNode.Directory, "node", ["test/browser-embed.mjs"], environment, TimeSpan.FromMinutes(5))).RootElement.Clone();
    }

    private static float[][] Vectors(JsonElement result) =>
        [.. result.GetProperty("embeddings").EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetSingle()).ToArray())];
}
