using System.Text.Json;
using SplitCompute.EndToEnd.Tests.OpenAi;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>
/// Runs clients/js/test/embed-webgpu.mjs (the JavaScript client with Dawn's Node bindings on lavapipe) against a cluster:
/// skipped where Dawn or Node is missing (failed under ./splitcompute test), npm's pinned webgpu installed once per run.
/// </summary>
internal static class JsWebGpuRun
{

    /// <summary>A desktop's measured speed and link: with the adapter's own description, what the gateway plans with.</summary>
    private const string Desktop = """{"perf": {"gflops": 5000}, "network": {"downlinkMbps": 10000, "rttMs": 1}}""";

    /// <param name="kernelForms">"calibrate" (the client's calibration picks the kernel forms) or "plain"; null: the client's default.</param>
    public static async Task<JsonElement> EmbedAsync(SplitCluster cluster, string[] texts, string split, bool corrupt = false, string? manifestKey = null, bool cut = false,
        string? kernelForms = null)
    {
        var noWebGpu = Testing.WebGpuAvailability.SkipReason;
        Skip.If(noWebGpu is not null, noWebGpu);
        var missing = NodeTool.Missing("node", "npm");
        Skip.If(missing is not null && Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") != "1", $"{missing} is not on PATH");
        await JsClientNode.InstallTestPackagesAsync();
        var environment = new Dictionary<string, string>
        {
            ["SPLITCOMPUTE_GATEWAY"] = cluster.GatewayUri.ToString(),
            ["SPLITCOMPUTE_INPUT"] = JsonSerializer.Serialize(texts),
            ["SPLITCOMPUTE_CAPABILITIES"] = Desktop,
            ["SPLITCOMPUTE_SPLIT"] = split,
            ["SPLITCOMPUTE_CORRUPT_SHARDS"] = corrupt ? "1" : "0",
            ["SPLITCOMPUTE_MANIFEST_KEY"] = manifestKey ?? "",
            ["SPLITCOMPUTE_CUT_SHARDS"] = cut ? "1" : "0",
            ["SPLITCOMPUTE_KERNEL_FORMS"] = kernelForms ?? "",
        };
        return JsonDocument.Parse(await JsClientNode.RunAsync(["test/embed-webgpu.mjs"], environment)).RootElement.Clone();
    }

    /// <summary>The result's path, failing with the whole result when there is none (the script's error).</summary>
    public static string PathOf(JsonElement result)
    {
        Assert.True(result.TryGetProperty("path", out var path), $"the client failed: {result}");
        return path.GetString()!;
    }

    public static float[][] Vectors(JsonElement result) =>
        [.. result.GetProperty("embeddings").EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetSingle()).ToArray())];
}
