using System.Text.Json;

namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>
/// The official Node <c>openai</c> SDK (pinned in node/package-lock.json) with its default settings, which ask for base64,
/// against the real gateway and worker: the same vectors as a plain float request.
/// </summary>
public sealed class OpenAiNodeSdkTests(OpenAiCluster cluster) : IClassFixture<OpenAiCluster>
{
    private static readonly string[] Texts = ["Hello world", "SplitCompute answers OpenAI clients unchanged.", "a"];

    [SkippableFact]
    public async Task The_Node_SDK_with_default_settings_gets_the_float_answer()
    {
        var missing = NodeTool.Missing("node", "npm");
        var why = $"{missing} is not on PATH: ./splitcompute test installs Node.js and npm (Debian's nodejs, npm) on a fresh machine";
        // Under ./splitcompute test they were installed, so a missing one fails the test there instead of skipping it.
        Assert.False(missing is not null && Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") == "1", why);
        Skip.If(missing is not null, why);
        await NodeTool.InstallAsync();

        var output = await NodeTool.RunAsync("node", ["embed.mjs"], new Dictionary<string, string>
        {
            ["SPLITCOMPUTE_BASE_URL"] = new Uri(cluster.GatewayUri, "/v1").ToString(),
            ["SPLITCOMPUTE_MODEL"] = SplitCluster.Model,
            ["SPLITCOMPUTE_INPUT"] = JsonSerializer.Serialize(Texts),
        }, TimeSpan.FromMinutes(1));

        var actual = JsonSerializer.Deserialize<float[][]>(output)!;
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts, encoding_format = "float" });
        PlainEmbeddings.AssertClose(expected, actual);
    }
}
