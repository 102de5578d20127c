using System.Text.Json;

namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>
/// The official Node <c>openai</c> SDK (pinned in node/package-lock.json) with its default settings, which ask for base64,
/// against the real gateway and worker: the same vectors as a plain float request, with and without <c>dimensions</c> and
/// <c>normalize</c>, and our messages, codes and params in the SDK's errors.
/// </summary>
public sealed class OpenAiNodeSdkTests(OpenAiCluster cluster) : IClassFixture<OpenAiCluster>
{
    private static readonly string[] Texts = ["Hello world", "SplitCompute answers OpenAI clients unchanged.", "a"];

    [SkippableFact]
    public async Task The_Node_SDK_with_default_settings_gets_the_float_answer()
    {
        var actual = Vectors(await EmbedAsync(Texts));
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts, encoding_format = "float" });
        PlainEmbeddings.AssertClose(expected, actual);
    }

    [SkippableFact]
    public async Task The_Node_SDK_gets_Matryoshka_dimensions_and_normalised_vectors()
    {
        var full = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        var cut = Vectors(await EmbedAsync(Texts, dimensions: 32));
        PlainEmbeddings.AssertClose([.. full.Select(e => Unit(e[..32]))], cut);
        var normalised = Vectors(await EmbedAsync(Texts, normalize: true));
        PlainEmbeddings.AssertClose([.. full.Select(Unit)], normalised);
    }

    [SkippableFact]
    public async Task The_Node_SDKs_errors_carry_our_messages_codes_and_params()
    {
        var unknown = Error(await EmbedAsync(Texts, model: "no-such-model"));
        Assert.Equal(404, unknown.GetProperty("status").GetInt32());
        Assert.Equal("model_not_found", unknown.GetProperty("code").GetString());
        Assert.Contains("The model 'no-such-model' does not exist", unknown.GetProperty("message").GetString(), StringComparison.Ordinal);

        var dimensions = Error(await EmbedAsync(Texts, dimensions: 33));
        Assert.Equal(400, dimensions.GetProperty("status").GetInt32());
        Assert.Equal("dimensions", dimensions.GetProperty("param").GetString());
        Assert.Contains("supports 64, 32, 16", dimensions.GetProperty("message").GetString(), StringComparison.Ordinal);

        var tooLong = Error(await EmbedAsync([string.Concat(Enumerable.Repeat("hello ", 1100))]));
        Assert.Equal(400, tooLong.GetProperty("status").GetInt32());
        Assert.Equal("context_length_exceeded", tooLong.GetProperty("code").GetString());
        Assert.Contains("the model's limit (n_positions) is 1024", tooLong.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private async Task<JsonElement> EmbedAsync(string[] input, string model = SplitCluster.Model, int? dimensions = null, bool? normalize = null)
    {
        var missing = NodeTool.Missing("node", "npm");
        var why = $"{missing} is not on PATH: ./splitcompute test installs Node.js and npm (Debian's nodejs, npm) on a fresh machine";
        // Under ./splitcompute test they were installed, so a missing one fails the test there instead of skipping it.
        Assert.False(missing is not null && Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") == "1", why);
        Skip.If(missing is not null, why);
        await NodeTool.InstallAsync();
        var environment = new Dictionary<string, string>
        {
            ["SPLITCOMPUTE_BASE_URL"] = new Uri(cluster.GatewayUri, "/v1").ToString(),
            ["SPLITCOMPUTE_MODEL"] = model,
            ["SPLITCOMPUTE_INPUT"] = JsonSerializer.Serialize(input),
        };
        if (dimensions is { } d) environment["SPLITCOMPUTE_DIMENSIONS"] = d.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (normalize is { } n) environment["SPLITCOMPUTE_NORMALIZE"] = n ? "true" : "false";
        var output = await NodeTool.RunAsync("node", ["embed.mjs"], environment, TimeSpan.FromMinutes(1));
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static float[][] Vectors(JsonElement output)
    {
        Assert.True(output.ValueKind == JsonValueKind.Array, $"the SDK failed: {output}");
        return [.. output.EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetSingle()).ToArray())];
    }

    private static JsonElement Error(JsonElement output)
    {
        Assert.True(output.ValueKind == JsonValueKind.Object && output.TryGetProperty("error", out _), $"the SDK did not fail: {output}");
        return output.GetProperty("error");
    }

    private static float[] Unit(float[] v) => [.. v.Select(x => (float)(x / PlainEmbeddings.Norm(v)))];
}
