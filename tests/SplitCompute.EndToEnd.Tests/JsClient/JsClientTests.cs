using System.Text.Json;
using SplitCompute.EndToEnd.Tests.OpenAi;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>
/// The JavaScript client (clients/js, issue 24) under Node against the real gateway and worker: it connects, asks for a frame,
/// gets the finished embeddings as a frame (no capability headers yet, so the gateway plans cloud-only) and shapes them as the
/// JSON answer: equal to a plain float request, with and without dimensions and normalize; the gateway's errors come back with
/// their status, code and param.
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

    private async Task<JsonElement> EmbedAsync(string[] texts, int? dimensions = null, bool? normalize = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["SPLITCOMPUTE_GATEWAY"] = cluster.GatewayUri.ToString(),
            ["SPLITCOMPUTE_INPUT"] = JsonSerializer.Serialize(texts),
        };
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
