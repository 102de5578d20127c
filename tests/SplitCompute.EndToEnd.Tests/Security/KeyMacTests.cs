using System.Net;
using SplitCompute.Gateway.Access;
using SplitCompute.Protocol.Cluster;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>A deployment with API keys required and a cluster secret, whose keys carry the secret's MAC.</summary>
public sealed class MacCluster : SplitCluster
{
    public const string Secret = "mac-cluster-secret-0123456789abcdefghijklmn";

    public MacCluster()
        : base(["--Gateway:RequireApiKeys=true", "--Gateway:ApiKeyCacheSeconds=0.2", $"--Cluster:Secret={Secret}"]) =>
        WorkerOptions = [$"--Cluster:Secret={Secret}"];
}

/// <summary>
/// Issue 21 item 5: keys are checked for a short MAC before any Redis lookup, so invented keys cost Redis nothing. Shown on
/// real servers: a key with the deployment's MAC works, one stored in Redis without it does not, and while Redis is down an
/// invented key is refused at once (401) instead of waiting on a lookup that cannot be made (503).
/// </summary>
public sealed class KeyMacTests(MacCluster cluster) : IClassFixture<MacCluster>
{
    private ApiKeyStore Store(bool withMac)
    {
        var connector = cluster.Redis.Connect();
        return new ApiKeyStore(connector, TimeProvider.System, withMac ? new ApiKeyMac(new ClusterSecret(MacCluster.Secret)) : null);
    }

    private async Task<HttpStatusCode> EmbedAsync(string key)
    {
        using var http = cluster.NewHttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        using var response = await http.PostAsync("/v1/embeddings", Requests.Texts("hello"));
        return response.StatusCode;
    }

    [Fact]
    public async Task A_key_with_the_deployments_MAC_works_and_one_without_it_is_refused_even_when_Redis_knows_it()
    {
        var (good, _) = await Store(withMac: true).CreateAsync("with mac", 0, 0);
        var (unsigned, _) = await Store(withMac: false).CreateAsync("without mac", 0, 0);
        Assert.Equal(HttpStatusCode.OK, await EmbedAsync(good));
        Assert.Equal(HttpStatusCode.Unauthorized, await EmbedAsync(unsigned));
        Assert.Equal(HttpStatusCode.Unauthorized, await EmbedAsync(ApiKeys.Generate()));
    }

    [Fact]
    public async Task While_Redis_is_down_an_invented_key_is_refused_without_a_lookup()
    {
        var (neverSeen, _) = await Store(withMac: true).CreateAsync("never seen by the gateway", 0, 0);
        await cluster.Redis.StopAsync();
        try
        {
            await SplitCluster.WaitUntilAsync(() => !cluster.Registry.Current.RedisHealthy, "the gateway noticing Redis is down");
            Assert.Equal(HttpStatusCode.Unauthorized, await EmbedAsync(ApiKeys.Generate()));  // no MAC: never looked up
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await EmbedAsync(neverSeen));     // a MAC: it must be looked up, and cannot be
        }
        finally
        {
            await cluster.Redis.StartAsync();
            await cluster.WaitForWorkersAsync(1);
        }
    }
}
