using System.Net;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>Its own cluster: redis-server is killed here.</summary>
public sealed class OutageAccessCluster : AccessCluster;

/// <summary>
/// API keys and limits on real gateways while redis-server is dead: keys already seen keep working (cloud-only answers),
/// a key never seen cannot be verified and gets 503 + Retry-After (never let in), and limits are enforced per replica.
/// </summary>
public sealed class AccessRedisOutageTests(OutageAccessCluster cluster) : IClassFixture<OutageAccessCluster>
{
    [Fact]
    public async Task With_Redis_down_known_keys_are_served_unknown_keys_get_503_and_limits_hold_per_replica()
    {
        var (known, _) = await cluster.NewKeyAsync(concurrency: 1, name: "known");
        var (unseen, _) = await cluster.NewKeyAsync(name: "unseen");
        using var http = cluster.NewHttpClient(known);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1/embeddings", Requests.Texts("before"))).StatusCode);

        await cluster.Redis.StopAsync();
        try
        {
            await SplitCluster.WaitUntilAsync(() => !cluster.Registry.Current.RedisHealthy, "the gateway noticing Redis is down");
            await Task.Delay(TimeSpan.FromSeconds(AccessCluster.CacheSeconds));  // the cached lookup is now older than the cache period

            using (var served = await http.PostAsync("/v1/embeddings", Requests.Texts("during")))
            {
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
                Assert.StartsWith("k=4; n=4", served.Headers.GetValues(Protocol.HeaderNames.Decision).Single(), StringComparison.Ordinal);
            }

            using var stranger = cluster.NewHttpClient(unseen);
            using (var refused = await stranger.PostAsync("/v1/embeddings", Requests.Texts("during")))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.NotNull(refused.Headers.RetryAfter);
                Assert.Contains("cannot be verified", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            // Concurrency 1, now counted by this replica alone.
            var held = new HeldBody(System.Text.Json.JsonSerializer.Serialize(new { model = SplitCluster.Model, input = new[] { "held" } }));
            held.Headers.ContentType = new("application/json");
            var first = http.PostAsync("/v1/embeddings", held);
            await held.Started;
            HttpResponseMessage second;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            // The held request takes its local slot a moment after its first byte: until then a second one may still get in.
            while ((second = await http.PostAsync("/v1/embeddings", Requests.Texts("second"))).StatusCode == HttpStatusCode.OK)
            {
                Assert.True(DateTime.UtcNow < deadline, "the local concurrency limit never applied");
            }
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            held.Release();
            Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        }
        finally
        {
            await cluster.Redis.StartAsync();
        }
        await cluster.WaitForWorkersAsync(1);
        await SplitCluster.WaitUntilAsync(() => cluster.Registry.Current.RedisHealthy, "the gateway seeing Redis again", 20);
        // The test's own connection (as `keys create` would use one) reconnects in the background too, with backoff up to 2 s.
        await SplitCluster.WaitUntilAsync(() => cluster.Redis2.IsConnected, "the key store's connection reconnecting", 20);
        // This test's redis-server keeps nothing across a restart, so the keys are gone with it (deployments run Redis with
        // persistence, see docs/security.md); a key created now works at once.
        var (fresh, _) = await cluster.NewKeyAsync(name: "after");
        using var again = cluster.NewHttpClient(fresh);
        Assert.Equal(HttpStatusCode.OK, (await again.PostAsync("/v1/embeddings", Requests.Texts("after"))).StatusCode);
    }
}
