using System.Net.Http.Json;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Gateway.Access;
using SplitCompute.Gateway.Decisions;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Redis.Tests;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>A cluster whose gateway and worker reach Redis as an ACL user over TLS (private CA), with API keys required.</summary>
public sealed class SecuredRedisCluster() : SplitCluster(["--Gateway:RequireApiKeys=true"], new SecuredRedisServerFixture());

/// <summary>
/// Everything that goes through Redis works with a production-like Redis: heartbeats and manifests (the worker), worker
/// discovery, key lookups, the limiter's script and the decision stream (the gateway), all as the restricted ACL user over TLS.
/// </summary>
public sealed class SecuredRedisServingTests(SecuredRedisCluster cluster) : IClassFixture<SecuredRedisCluster>
{
    [Fact]
    public async Task A_keyed_split_request_runs_end_to_end_over_an_ACL_user_and_TLS()
    {
        Assert.True(cluster.Registry.Current.RedisHealthy);
        await using var connector = cluster.Redis.Connect();
        var (key, _) = await new ApiKeyStore(connector, TimeProvider.System).CreateAsync("tls tenant", ratePerSecond: 100, maxConcurrent: 4);

        using var http = cluster.NewHttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        using var cloud = await http.PostAsJsonAsync("/v1/embeddings", new { model = SplitCluster.Model, input = new[] { "over TLS" } });
        Assert.True(cloud.IsSuccessStatusCode, await cloud.Content.ReadAsStringAsync());

        using var edge = new EdgeClient(new EdgeOptions(cluster.GatewayUri, cluster.NewCacheDirectory()) { ApiKey = key, Gflops = 50, DownlinkMbps = 10_000, Prefetch = false });
        var split = await edge.EmbedTextsAsync(["over TLS"], SplitPreference.Force(2));
        Assert.True(split.K == 2, $"k = {split.K}: {split.Decision}; {string.Join(" | ", split.Warnings)}; {split.FallbackReason}");
        Assert.Null(split.FallbackReason);

        var database = await connector.DatabaseAsync();
        await SplitCluster.WaitUntilAsync(() => database.StreamLength(DecisionLog.StreamKey) >= 2, "the decisions reaching the Redis stream");
        Assert.True(await database.KeyExistsAsync(RedisKeyLimiter.RateKeyPrefix + ApiKeys.IdOf(ApiKeys.Hash(key))), "the limiter's script did not run");
    }
}
