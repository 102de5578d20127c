using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;
using SplitCompute.EndToEnd.Tests.Security;

namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>
/// The documented key, limit and size errors through the official .NET and Node SDKs, against a gateway that requires API keys: each
/// SDK's exception shows our message and OpenAI's status and code. Not through an SDK: a wrong Content-Type (415; SDKs always post
/// JSON), tested with plain requests.
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
        await NodeSdkErrors.AssertAsync(cluster.GatewayUri, unknown, Texts, 401, "invalid_api_key", null);
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
        await NodeSdkErrors.AssertAsync(cluster.GatewayUri, key, Texts, 403, "api_key_revoked", "has been revoked");
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
        // Node starts in a second or more on a loaded machine, after which the window has room again: it sends three at once.
        await NodeSdkErrors.AssertAsync(cluster.GatewayUri, key, Texts, 429, "rate_limit_exceeded", "rate limit of 1 requests per second", repeat: 3);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413_request_too_large_in_both_SDKs_not_a_reset_connection()
    {
        // 640 texts of 7,000 characters: 4.5 MB of JSON, over the default 4 MiB, each text within the character limit.
        var (key, _) = await cluster.NewKeyAsync(name: "large bodies");
        var input = Enumerable.Range(0, 640).Select(i => $"{i} " + new string('x', 7_000)).ToArray();
        for (var attempt = 0; attempt < 2; attempt++)  // twice: the connection the SDK pools is fit for the next request
        {
            var ex = await Assert.ThrowsAsync<ClientResultException>(() => DotNet(key).GenerateEmbeddingsAsync(input));
            Assert.Equal(413, ex.Status);
            Assert.Contains("the limit is 4194304", ex.Message, StringComparison.Ordinal);
            Assert.Contains("request_too_large", ex.Message, StringComparison.Ordinal);
        }
        await NodeSdkErrors.AssertAsync(cluster.GatewayUri, key, input, 413, "request_too_large", "the limit is 4194304");
    }
}
