using System.Text.Json;
using SplitCompute.EndToEnd.Tests.OpenAi;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>
/// Issue 24's CORS proof: a page on another origin imports the client from the gateway and splits with an API key, in Debian's
/// headless Chromium with WebGPU, against a gateway that requires keys and allows only that origin: the module, the kernels, the
/// preflighted embeddings request, the shards and the feedback all cross origins, and the embeddings equal the cloud's (1e-4).
/// </summary>
public sealed class CrossOriginPageTests(CrossOriginCluster cluster) : IClassFixture<CrossOriginCluster>
{
    private static readonly string[] Texts = ["Hello world", "The edge runs the tail on its own GPU."];

    [SkippableFact]
    public async Task A_page_on_another_origin_splits_with_a_key()
    {
        Skip.If(!File.Exists(HeadlessChromium.Executable) && Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") != "1",
            $"{HeadlessChromium.Executable} is missing; ./splitcompute installs Debian's chromium");
        var missing = NodeTool.Missing("node", "npm");
        Skip.If(missing is not null && Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") != "1", $"{missing} is not on PATH");
        await JsClientNode.InstallTestPackagesAsync();
        var key = await cluster.NewKeyAsync();
        var output = await NodeTool.RunInAsync(JsClientNode.Directory, "node", ["test/browser-cross-origin.mjs"], new Dictionary<string, string>
        {
            ["SPLITCOMPUTE_GATEWAY"] = cluster.GatewayUri.ToString(), ["SPLITCOMPUTE_API_KEY"] = key, ["SPLITCOMPUTE_PAGE_PORT"] = cluster.PagePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SPLITCOMPUTE_INPUT"] = JsonSerializer.Serialize(Texts), ["SPLITCOMPUTE_SPLIT"] = "1",
        }, TimeSpan.FromMinutes(5));
        var result = JsonDocument.Parse(output).RootElement;

        Assert.True(result.TryGetProperty("path", out var path) && path.GetString() == "edge", $"the cross-origin page did not split: {result}");
        Assert.Equal(cluster.PageOrigin, result.GetProperty("origin").GetString());
        Assert.Equal(200, result.GetProperty("feedback").GetInt32());
        using var http = new HttpClient { BaseAddress = cluster.GatewayUri };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        using var response = await http.PostAsync("/v1/embeddings", System.Net.Http.Json.JsonContent.Create(new { model = SplitCluster.Model, input = Texts }));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var expected = json.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var actual = result.GetProperty("embeddings").EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        PlainEmbeddings.AssertClose(expected, actual, tolerance: 1e-4);
    }
}
