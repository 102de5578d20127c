using System.Net;
using System.Text;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Cluster;
using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Cli.Tests;

/// <summary>
/// Redis trusted by nobody it should not be (issue 21 item 2), on real processes sharing a cluster secret: a heartbeat written
/// to Redis by anything but one of our workers enrols nothing, a manifest it writes is never signed, and a client that reaches a
/// worker directly is refused; the cluster itself serves as before.
/// </summary>
public sealed class ClusterSecretTests
{
    private const string Secret = "test-cluster-secret-0123456789abcdefghijklmnop";

    [Fact]
    public async Task A_heartbeat_forged_in_Redis_enrols_no_worker_and_requests_stay_with_the_real_ones()
    {
        await using var cluster = await LiveCluster.StartSealedAsync(1, Secret);
        using var edge = cluster.NewEdgeClient();
        var before = await edge.EmbedTextsAsync(["rogue"], SplitPreference.None);

        // The rogue copies the real worker's heartbeat (it can read Redis) and points it at its own address, plain and re-filed.
        await using var redis = cluster.Redis.Connect();
        var database = await redis.DatabaseAsync();
        var real = (string?)await database.StringGetAsync(WorkerHeartbeat.KeyPrefix + "w1");
        Assert.NotNull(real);
        Assert.True(ClusterSecret.None.TryOpen("", real, out var json));
        var rogue = WorkerHeartbeat.TryParse(json)! with { WorkerId = "rogue", Address = "http://127.0.0.1:9", UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        var forgedUntil = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < forgedUntil)
        {
            await database.StringSetAsync(WorkerHeartbeat.KeyPrefix + "rogue", rogue.ToJson(), TimeSpan.FromSeconds(5));
            await database.StringSetAsync(WorkerHeartbeat.KeyPrefix + "rogue2", real, TimeSpan.FromSeconds(5));  // a sealed value moved
            await Task.Delay(100);
        }

        using var http = new HttpClient { BaseAddress = cluster.Gateway.Url };
        var health = await http.GetStringAsync("/health");
        Assert.DoesNotContain("rogue", health, StringComparison.Ordinal);
        for (var i = 0; i < 5; i++)
        {
            var after = await edge.EmbedTextsAsync(["rogue"], SplitPreference.None);
            Assert.Equal(before.Embeddings[0], after.Embeddings[0]);
        }
    }

    [Fact]
    public async Task A_manifest_written_to_Redis_without_the_secret_is_never_signed()
    {
        await using var cluster = await LiveCluster.StartSealedAsync(1, Secret);
        using var http = new HttpClient { BaseAddress = cluster.Gateway.Url };
        var (model, revision) = await ServedAsync(cluster);
        var genuine = await http.GetAsync($"/v1/manifests/{model}/{revision}");
        Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);

        await using var redis = cluster.Redis.Connect();
        var database = await redis.DatabaseAsync();
        var real = (string?)await database.StringGetAsync(WorkerHeartbeat.ManifestKey(model, revision));
        Assert.True(ClusterSecret.None.TryOpen("", real, out var manifest));
        await database.StringSetAsync(WorkerHeartbeat.ManifestKey(model, "forged"), manifest.Replace(revision, "forged", StringComparison.Ordinal));
        using var forged = await http.GetAsync($"/v1/manifests/{model}/forged");
        Assert.NotEqual(HttpStatusCode.OK, forged.StatusCode);
        Assert.Contains("not sealed", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_reaches_a_worker_directly_is_refused_and_the_gateway_is_served()
    {
        await using var cluster = await LiveCluster.StartSealedAsync(1, Secret);
        using var direct = new HttpClient { BaseAddress = cluster.Workers[0].Url };
        using var body = new StringContent("""{"input":"direct"}""", Encoding.UTF8, "application/json");
        using var refused = await direct.PostAsync("/v1/embeddings", body);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("cluster token", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var forgedToken = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new StringContent("""{"input":"direct"}""", Encoding.UTF8, "application/json") };
        forgedToken.Headers.TryAddWithoutValidation(ClusterSecret.Header, new ClusterSecret("another-secret-of-enough-length-0123456789").RequestToken);
        using var refusedAgain = await direct.SendAsync(forgedToken);
        Assert.Equal(HttpStatusCode.Unauthorized, refusedAgain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await direct.GetAsync("/alive")).StatusCode);

        using var edge = cluster.NewEdgeClient();
        var split = await edge.EmbedTextsAsync(["through the gateway"], SplitPreference.Auto);
        Assert.Single(split.Embeddings);
    }

    private static async Task<(string Model, string Revision)> ServedAsync(LiveCluster cluster)
    {
        using var http = new HttpClient { BaseAddress = cluster.Workers[0].Url };
        var heartbeat = WorkerHeartbeat.TryParse(await http.GetStringAsync("/health"))!;
        return (heartbeat.Model, heartbeat.Revision);
    }
}
