using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;
using SplitCompute.EndToEnd.Tests.Security;

namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>
/// The documented key and limit errors through the official .NET and Node SDKs, against a gateway that requires API keys: each
/// SDK's exception shows our message and OpenAI's status and code. Not through an SDK: a wrong Content-Type (415; SDKs always post
/// JSON) and a body over the size limit (413: the gateway answers from Content-Length and closes the connection, so a client
/// still sending its body sees the connection reset first), both tested with plain requests.
/// </summary>
public sealed class OpenAiSdkAccessErrorTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    private static readonly string[] Texts = ["Keys and limits reach the SDKs."];

    private EmbeddingClient DotNet(string key) => new(SplitCluster.Model, new ApiKeyCredential(key),
        new OpenAIClientOptions { Endpoint = new Uri(cluster.GatewayUri, "/v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });

    [Fact]
    public async Task An_unknown_key_is_401_invalid_api_key_in_both_SDKs()
    {
        const string unknown = "sc_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => DotNet(unknown).GenerateEmbeddingsAsync(Texts));
        Assert.Equal(401, ex.Status);
        Assert.Contains("invalid_api_key", ex.Message, StringComparison.Ordinal);
        await AssertNodeErrorAsync(unknown, Texts, 401, "invalid_api_key", null);
    }

    [Fact]
    public async Task A_revoked_key_is_403_api_key_revoked_in_both_SDKs()
    {
        var (key, record) = await cluster.NewKeyAsync(name: "revoked for the SDKs");
        await cluster.Keys.RevokeAsync(record.Id);
        ClientResultException? ex = null;
        var deadline = DateTime.UtcNow.AddSeconds(AccessCluster.CacheSeconds + 5);
        while (ex?.Status != 403 && DateTime.UtcNow < deadline)
        {
            ex = await Record.ExceptionAsync(() => DotNet(key).GenerateEmbeddingsAsync(Texts)) as ClientResultException;
            if (ex?.Status != 403) await Task.Delay(50);
        }
        Assert.Equal(403, ex?.Status);
        Assert.Contains("has been revoked", ex!.Message, StringComparison.Ordinal);
        Assert.Contains("api_key_revoked", ex.Message, StringComparison.Ordinal);
        await AssertNodeErrorAsync(key, Texts, 403, "api_key_revoked", "has been revoked");
    }

    [Fact]
    public async Task Over_the_rate_limit_is_429_rate_limit_exceeded_in_both_SDKs()
    {
        var (key, _) = await cluster.NewKeyAsync(rate: 1, name: "one a second");
        ClientResultException? ex = null;
        for (var i = 0; i < 20 && ex is null; i++)
            ex = await Record.ExceptionAsync(() => DotNet(key).GenerateEmbeddingsAsync(Texts)) as ClientResultException;
        Assert.Equal(429, ex?.Status);
        Assert.Contains("rate limit of 1 requests per second", ex!.Message, StringComparison.Ordinal);
        Assert.Contains("rate_limit_exceeded", ex.Message, StringComparison.Ordinal);
        await AssertNodeErrorAsync(key, Texts, 429, "rate_limit_exceeded", "rate limit of 1 requests per second");
    }

    /// <summary>The Node SDK (skipped only where node/npm are absent outside ./splitcompute test) sees the same status and code.</summary>
    private async Task AssertNodeErrorAsync(string key, string[] input, int status, string code, string? message)
    {
        var missing = NodeTool.Missing("node", "npm");
        Assert.False(missing is not null && Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") == "1", $"{missing} is not on PATH");
        if (missing is not null) return;  // a developer machine without Node: the .NET SDK above still ran
        await NodeTool.InstallAsync();
        var inputFile = Path.Combine(Path.GetTempPath(), $"splitcompute-node-input-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(inputFile, JsonSerializer.Serialize(input));
        try
        {
            var output = await NodeTool.RunAsync("node", ["embed.mjs"], new Dictionary<string, string>
            {
                ["SPLITCOMPUTE_BASE_URL"] = new Uri(cluster.GatewayUri, "/v1").ToString(),
                ["SPLITCOMPUTE_MODEL"] = SplitCluster.Model,
                ["SPLITCOMPUTE_INPUT_FILE"] = inputFile,
                ["OPENAI_API_KEY"] = key,
            }, TimeSpan.FromMinutes(1));
            using var result = JsonDocument.Parse(output);
            Assert.True(result.RootElement.ValueKind == JsonValueKind.Object, $"the Node SDK did not fail: {output[..Math.Min(200, output.Length)]}");
            var error = result.RootElement.GetProperty("error");
            Assert.Equal(status, error.GetProperty("status").GetInt32());
            Assert.Equal(code, error.GetProperty("code").GetString());
            if (message is not null) Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(inputFile);
        }
    }
}
