using System.Text.Json;
using SplitCompute.EndToEnd.Tests.OpenAi;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>
/// The JavaScript client (clients/js, issue 24) under Node against the real gateway and worker: it connects, asks for a frame,
/// gets the finished embeddings as a frame (no capability headers yet, so the gateway plans cloud-only) and shapes them as the
/// JSON answer: equal to a plain float request, with and without dimensions and normalize; the gateway's errors come back with
/// their status, code and param. With capability headers (which the gateway's own parser reads without a warning) and a forced
/// split, the gateway hands it a hidden state, and it falls back to the cloud's whole answer (no WebGPU tail in it yet).
/// </summary>
public sealed class JsClientTests(OpenAiCluster cluster) : IClassFixture<OpenAiCluster>
{
    private static readonly string[] Texts = ["Hello world", "The edge runs the tail on its own GPU.", "a"];

    [SkippableFact]
    public async Task Embeddings_through_the_frame_equal_the_plain_json_answer()
    {
        var result = await EmbedAsync(Texts);
        Assert.Equal("cloud", result.GetProperty("path").GetString());
        Assert.Equal(result.GetProperty("n").GetInt32(), result.GetProperty("k").GetInt32());  // a frame answer: k = n
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, Vectors(result));
    }

    [SkippableFact]
    public async Task Dimensions_and_normalize_shape_the_frames_embeddings_as_the_json_answer()
    {
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts, dimensions = 32, normalize = true });
        var actual = Vectors(await EmbedAsync(Texts, dimensions: 32, normalize: true));
        PlainEmbeddings.AssertClose(expected, actual);
        Assert.All(actual, v => Assert.Equal(1.0, PlainEmbeddings.Norm(v), 1e-5));
    }

    [SkippableFact]
    public async Task The_gateways_errors_come_back_with_status_code_and_param()
    {
        var error = (await EmbedAsync(Texts, dimensions: 33)).GetProperty("error");
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Equal("dimensions", error.GetProperty("param").GetString());
        Assert.Contains("supports 64, 32, 16", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_capable_client_handed_a_hidden_state_falls_back_to_the_clouds_whole_answer()
    {
        // Capability headers from the client (a fast desktop GPU), and a forced split: the gateway hands back layers [0, 1) only.
        var result = await EmbedAsync(Texts, capabilities: Desktop, split: "1");
        Assert.Equal("cloud-fallback", result.GetProperty("path").GetString());
        Assert.Contains(result.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("split at k = 1", StringComparison.Ordinal));
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, Vectors(result));
    }

    [SkippableFact]
    public async Task The_clients_capability_headers_parse_without_a_warning_in_the_gateways_parser()
    {
        var written = JsonDocument.Parse(await JsClientNode.RunAsync(["test/capability-headers.mjs"], new Dictionary<string, string>
        {
            ["SPLITCOMPUTE_CAPABILITIES"] = Desktop, ["SPLITCOMPUTE_SPLIT"] = "3",
        })).RootElement;
        var headers = written.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.OrdinalIgnoreCase);
        var (caps, warnings) = Protocol.Capabilities.CapabilityHeaderParser.Parse(name => headers.GetValueOrDefault(name));
        Assert.Empty(warnings);
        Assert.NotNull(caps);
        Assert.Equal("nvidia", caps.Adapter!.Vendor);
        Assert.Equal("NVIDIA \"quoted\" GPU", caps.Adapter.Device);
        Assert.Equal(5000, caps.Perf!.Gflops);
        Assert.Equal(["shader-f16", "subgroups"], caps.Features);
        Assert.Equal(3, caps.Split.ForcedK);
        Assert.Equal(["9f86d081884c7d65"], caps.HeldShards);
        Assert.True(caps.Power!.OnBattery);
    }

    /// <summary>A desktop's figures as a page would read them from navigator.gpu and its own calibration.</summary>
    private const string Desktop = """
        {"adapter": {"vendor": "nvidia", "architecture": "ada", "device": "NVIDIA \"quoted\" GPU\u00e9", "backend": "webgpu"},
         "limits": {"maxBufferSize": 4294967296, "maxStorageBufferBindingSize": 2147483644, "maxComputeWorkgroupStorageSize": 32768},
         "features": ["shader-f16", "subgroups", "shader-f16", "Bad Feature"], "perf": {"gflops": 5000, "uploadGbps": 8},
         "network": {"downlinkMbps": 1000, "rttMs": 2},
         "shards": ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "not-a-hash"],
         "power": {"onBattery": true, "saveEnergy": false}}
        """;

    private async Task<JsonElement> EmbedAsync(string[] texts, int? dimensions = null, bool? normalize = null, string? capabilities = null, string? split = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["SPLITCOMPUTE_GATEWAY"] = cluster.GatewayUri.ToString(),
            ["SPLITCOMPUTE_INPUT"] = JsonSerializer.Serialize(texts),
        };
        if (capabilities is not null) environment["SPLITCOMPUTE_CAPABILITIES"] = capabilities;
        if (split is not null) environment["SPLITCOMPUTE_SPLIT"] = split;
        if (dimensions is { } d) environment["SPLITCOMPUTE_DIMENSIONS"] = d.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (normalize is { } n) environment["SPLITCOMPUTE_NORMALIZE"] = n ? "true" : "false";
        return JsonDocument.Parse(await JsClientNode.RunAsync(["test/embed.mjs"], environment)).RootElement.Clone();
    }

    private static float[][] Vectors(JsonElement result)
    {
        Assert.True(result.TryGetProperty("embeddings", out var embeddings), $"the client failed: {result}");
        return [.. embeddings.EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetSingle()).ToArray())];
    }
}
