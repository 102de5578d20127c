using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>API keys on a real gateway: who gets in, who is refused and how, and that limits hold across two replicas.</summary>
public sealed class AccessTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    private const string ShardPath = "/v1/shards/0000000000000000000000000000000000000000000000000000000000000000";
    private static readonly string[] Protected = ["/v1/decisions", ShardPath, $"/v1/manifests/{SplitCluster.Model}/r"];

    private static HttpContent BadBody() => new StringContent("{}", System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task Without_a_key_every_v1_endpoint_is_401_with_a_Bearer_challenge()
    {
        using var http = cluster.NewHttpClient(null);
        var responses = new List<HttpResponseMessage> { await http.PostAsync("/v1/embeddings", Requests.Texts("hi")) };
        foreach (var path in Protected) responses.Add(await http.GetAsync(path));
        responses.Add(await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, ShardPath)));
        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer realm=\"splitcompute\"", response.Headers.WwwAuthenticate.ToString());
            response.Dispose();
        }
    }

    [Fact]
    public async Task Liveness_health_and_the_manifest_public_key_need_no_key()
    {
        using var http = cluster.NewHttpClient(null);
        foreach (var path in new[] { "/alive", "/health", "/v1/keys/manifest" })
        {
            using var response = await http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
        }
    }

    [Fact]
    public async Task TEIs_embed_and_info_need_a_key_as_v1_does_and_refuse_in_TEIs_shape()
    {
        using var anonymous = cluster.NewHttpClient(null);
        using (var embed = await anonymous.PostAsJsonAsync("/embed", new { inputs = "hi" }))
        {
            await Tei.TeiEmbedTests.TeiErrorAsync(embed, HttpStatusCode.Unauthorized, "Unauthorized");
            Assert.Equal("Bearer realm=\"splitcompute\"", embed.Headers.WwwAuthenticate.ToString());
        }
        using (var info = await anonymous.GetAsync("/info"))
            Assert.Equal(HttpStatusCode.Unauthorized, info.StatusCode);

        var (key, _) = await cluster.NewKeyAsync();
        using var http = cluster.NewHttpClient(key);
        using var served = await http.PostAsJsonAsync("/embed", new { inputs = "hi" });
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        using var described = await http.GetAsync("/info");
        Assert.Equal(HttpStatusCode.OK, described.StatusCode);
    }

    [Theory]
    [InlineData("Bearer sc_short", "malformed")]
    [InlineData("Bearer sc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "unknown API key")]
    [InlineData("Basic dXNlcjpwYXNz", "Bearer")]
    public async Task Bad_credentials_are_401_invalid_token_with_the_reason(string authorization, string reason)
    {
        using var http = cluster.NewHttpClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = Requests.Texts("hi") };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_key_by_Bearer_or_X_API_Key_reaches_every_endpoint_and_the_edge_splits_with_it()
    {
        var (key, _) = await cluster.NewKeyAsync();
        using var bearer = cluster.NewHttpClient(key);
        using (var embeddings = await bearer.PostAsync("/v1/embeddings", Requests.Texts("hi")))
            Assert.Equal(HttpStatusCode.OK, embeddings.StatusCode);
        using (var decisions = await bearer.GetAsync("/v1/decisions"))
            Assert.Equal(HttpStatusCode.OK, decisions.StatusCode);
        using (var unknownShard = await bearer.GetAsync(ShardPath))
            Assert.Equal(HttpStatusCode.NotFound, unknownShard.StatusCode);  // past the key check, refused for what it is

        using var plain = cluster.NewHttpClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = Requests.Texts("hi") };
        request.Headers.Add("X-API-Key", key);
        using (var viaHeader = await plain.SendAsync(request)) Assert.Equal(HttpStatusCode.OK, viaHeader.StatusCode);

        using var edge = new EdgeClient(new EdgeOptions(cluster.GatewayUri, cluster.NewCacheDirectory()) { ApiKey = key, Gflops = 50, DownlinkMbps = 10_000 });
        var split = await edge.EmbedTextsAsync(["Hello world"], SplitPreference.Force(1));
        Assert.False(split.FellBack, split.FallbackReason);  // shards were downloaded with the key
        Assert.Equal(1, split.K);

        using var keyless = new EdgeClient(new EdgeOptions(cluster.GatewayUri, cluster.NewCacheDirectory()));
        var e = await Assert.ThrowsAsync<EdgeRequestException>(() => keyless.EmbedTextsAsync(["Hello world"], SplitPreference.Auto));
        Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
    }

    [Fact]
    public async Task Refusals_are_counted_by_reason_on_the_gateway_meter()
    {
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == Gateway.Access.AccessTelemetry.RefusalsName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags) if (tag.Key == "reason") counts.AddOrUpdate((string)tag.Value!, value, (_, v) => v + value);
        });
        listener.Start();

        using var http = cluster.NewHttpClient(null);
        (await http.GetAsync("/v1/decisions")).Dispose();
        using var malformed = cluster.NewHttpClient("sc_nope");
        (await malformed.GetAsync("/v1/decisions")).Dispose();
        using var unknown = cluster.NewHttpClient("sc_" + new string('A', 43));
        (await unknown.GetAsync("/v1/decisions")).Dispose();
        (await unknown.GetAsync("/v1/decisions")).Dispose();

        Assert.Equal(1, counts.GetValueOrDefault("missing"));
        Assert.Equal(1, counts.GetValueOrDefault("invalid"));
        Assert.Equal(2, counts.GetValueOrDefault("unknown"));
    }

    [Fact]
    public async Task The_key_and_gateway_only_headers_from_a_client_are_not_forwarded_to_workers()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var splitK = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var stub = await StubServer.StartAsync(context =>
        {
            foreach (var name in new[] { "Authorization", "X-API-Key", HeaderNames.WarmUp }) if (context.Request.Headers.ContainsKey(name)) seen.Enqueue(name);
            if (context.Request.Path == "/v1/embeddings") splitK.Enqueue(context.Request.Headers[HeaderNames.SplitK].ToString());
            context.Response.StatusCode = 200;
            return context.Response.WriteAsync("{}");
        });
        await using (await FakeWorker.StartAsync(cluster, "a-stub", stub.Uri.ToString()))
        {
            var (key, _) = await cluster.NewKeyAsync();
            using var http = cluster.NewHttpClient(key);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = Requests.Texts("hi") };
            request.Headers.Add("X-API-Key", key);
            request.Headers.Add(HeaderNames.WarmUp, "1");  // would hide the request from the worker's metrics
            request.Headers.Add(HeaderNames.SplitK, "0");   // the gateway's to choose, never the client's
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(1, stub.Count("/v1/embeddings"));
        Assert.Empty(seen);
        Assert.Equal("4", Assert.Single(splitK));  // a plain request: cloud-only, all 4 layers
    }

    [Fact]
    public async Task A_revoked_key_is_403_on_every_replica_within_the_cache_period()
    {
        var (key, record) = await cluster.NewKeyAsync(name: "soon revoked");
        using var a = cluster.NewHttpClient(key);
        using var b = cluster.NewHttpClient(key, cluster.ReplicaUri);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/decisions")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/v1/decisions")).StatusCode);
        await cluster.Keys.RevokeAsync(record.Id);
        var revokedAt = DateTime.UtcNow;
        foreach (var http in new[] { a, b })
        {
            HttpResponseMessage response;
            while ((response = await http.GetAsync("/v1/decisions")).StatusCode == HttpStatusCode.OK)
            {
                Assert.True(DateTime.UtcNow - revokedAt < TimeSpan.FromSeconds(AccessCluster.CacheSeconds + 2), "still accepted well after the cache period");
                await Task.Delay(20);
            }
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("revoked", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Over_the_rate_limit_across_two_replicas_is_429_with_Retry_After_and_the_reason()
    {
        // A refused request still counts (it is a request); bad bodies make each one a few milliseconds. Retried when the machine is
        // so slow that the 6 requests span two 1-second windows (then more may legitimately pass).
        for (var attempt = 1; ; attempt++)
        {
            var (key, _) = await cluster.NewKeyAsync(rate: 4);
            using var a = cluster.NewHttpClient(key);
            using var b = cluster.NewHttpClient(key, cluster.ReplicaUri);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var statuses = new List<HttpResponseMessage>();
            for (var i = 0; i < 6; i++) statuses.Add(await (i % 2 == 0 ? a : b).PostAsync("/v1/embeddings", BadBody()));
            if (clock.ElapsedMilliseconds > 800 && attempt < 3) continue;
            Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.BadRequest, 4), HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests],
                statuses.Select(s => s.StatusCode));
            var refused = statuses[4];
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter!.Delta);
            Assert.Contains("rate limit of 4 requests per second", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            return;
        }
    }

    [Fact]
    public async Task Over_the_concurrency_limit_across_two_replicas_is_429_until_the_slot_is_freed()
    {
        var (key, record) = await cluster.NewKeyAsync(concurrency: 1);
        using var a = cluster.NewHttpClient(key);
        using var b = cluster.NewHttpClient(key, cluster.ReplicaUri);
        var held = new HeldBody(System.Text.Json.JsonSerializer.Serialize(new { model = SplitCluster.Model, input = new[] { "held" } }));
        held.Headers.ContentType = new("application/json");
        var first = a.PostAsync("/v1/embeddings", held);
        await cluster.WaitForSlotsAsync(record, 1);

        using (var refused = await b.PostAsync("/v1/embeddings", Requests.Texts("second")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Contains("concurrency limit", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        held.Release();
        using (var done = await first) Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        using var after = await b.PostAsync("/v1/embeddings", Requests.Texts("third"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
