using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>Gateway -> worker -> edge on real servers: split answers equal cloud-only ones, and the plan follows load and capability.</summary>
public sealed class SplitServingTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly string[] Texts = ["Hello world", "SplitCompute splits GPT-2 between cloud and edge, layer by layer.", "a"];

    [Fact]
    public async Task Every_split_point_gives_the_cloud_only_embeddings()
    {
        using var edge = cluster.NewEdgeClient();
        var cloud = await edge.EmbedTextsAsync(Texts, SplitPreference.None);
        Assert.Equal(4, cloud.K);
        Assert.Equal("cloud", cloud.Backend);
        for (var k = 0; k < 4; k++)
        {
            var split = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(k));
            Assert.Equal(k, split.K);
            Assert.Equal("cpu", split.Backend);
            Assert.False(split.FellBack, split.FallbackReason);
            Assert.Equal(3, split.Embeddings.Length);
            var max = cloud.Embeddings.SelectMany(e => e).Zip(split.Embeddings.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(max <= 1e-4, $"k = {k}: max |difference| {max:E3}");
            Assert.Contains($"k={k}; n=4; worker=", split.Decision, StringComparison.Ordinal);
            Assert.NotNull(split.Predicted);
        }
    }

    [Fact]
    public async Task Token_id_batches_of_different_lengths_split_like_cloud_only()
    {
        using var edge = cluster.NewEdgeClient();
        int[][] ids = [[15496, 995, 11, 257, 1332], [7, 8, 9, 10, 11, 12, 13, 14, 15]];
        var cloud = await edge.EmbedIdsAsync(ids, SplitPreference.None);
        var split = await edge.EmbedIdsAsync(ids, SplitPreference.Force(2));
        var max = cloud.Embeddings.SelectMany(e => e).Zip(split.Embeddings.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max <= 1e-4, $"max |difference| {max:E3}");
    }

    [Fact]
    public async Task Plain_OpenAI_clients_get_OpenAI_json_from_the_cloud()
    {
        using var http = cluster.NewHttpClient();
        using var response = await http.PostAsync("/v1/embeddings", Requests.Texts("Hello world", "again"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("list", json.RootElement.GetProperty("object").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("data").GetArrayLength());
        Assert.Equal(64, json.RootElement.GetProperty("data")[1].GetProperty("embedding").GetArrayLength());
        Assert.Equal(3, json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.StartsWith("k=4; n=4", response.Headers.GetValues(HeaderNames.Decision).Single(), StringComparison.Ordinal);

        using var edge = cluster.NewEdgeClient();
        var viaEdge = await edge.EmbedTextsAsync(["Hello world", "again"], SplitPreference.Force(1));
        var openAi = json.RootElement.GetProperty("data").EnumerateArray().SelectMany(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()));
        var max = openAi.Zip(viaEdge.Embeddings.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max <= 1e-4, $"max |difference| {max:E3}");
    }

    [Fact]
    public async Task A_slow_client_gets_fewer_layers_than_a_fast_one()
    {
        // This cluster's worker idles, and idle GPU time is worth little (a fast client would rather stay home too): value it as
        // a busy fleet would, so the plan turns on the clients' speed alone, whatever the tests before this one left behind.
        await cluster.WithIdleGpuWeightAsync(50, SlowAndFastClientsAsync);
    }

    private async Task SlowAndFastClientsAsync()
    {
        // No feedback: the plan must turn on the reported speeds; the fast client's measured speed (after its Force(0) pass on a
        // busy CI machine, possibly slower than the worker) would otherwise replace its 1 TFLOP/s and keep it in the cloud.
        using var fast = cluster.NewEdgeClient(gflops: 1_000, sendFeedback: false);
        using var slow = cluster.NewEdgeClient(gflops: 0.01, sendFeedback: false);
        await fast.EmbedTextsAsync(Texts, SplitPreference.Force(0));  // fill the fast client's shard cache
        var fastPlan = await fast.EmbedTextsAsync(Texts, SplitPreference.Auto);
        var slowPlan = await slow.EmbedTextsAsync(Texts, SplitPreference.Auto);
        Assert.True(fastPlan.K < slowPlan.K, $"fast k = {fastPlan.K}, slow k = {slowPlan.K}; {fastPlan.Predicted} / {slowPlan.Predicted}");
        Assert.Equal(4, slowPlan.K);
    }

    [Fact]
    public async Task A_heavily_loaded_worker_published_in_Redis_gets_more_layers_offloaded()
    {
        // A client whose edge is twice as slow as the worker (by the worker's own measured speed): on an idle worker the cloud
        // is faster, so it stays there; once the worker's heartbeat shows a long queue, GPU time is worth more and it splits.
        // No feedback: this test is about the reported speed; the real (fast) edge would replace it after the first split.
        var stats = cluster.Workers[0].Services.GetRequiredService<WorkerStats>();
        var cloudGflops = (24.0 * 64 * 64) / (stats.MsPerLayerRow * 1e6);  // the tiny model's block: 24 C^2 flops per row
        using var slow = cluster.NewEdgeClient(gflops: cloudGflops / 2, sendFeedback: false);
        var texts = Enumerable.Range(0, 8).Select(i => string.Join(' ', Enumerable.Repeat($"sequence {i} of a larger batch", 10))).ToArray();
        await slow.EmbedTextsAsync(texts, SplitPreference.Force(0));  // cache every shard and keep the tail resident: only compute decides
        // Idle means idle: the tests before this one kept the worker busy, and its 5 s busy share is what the planner weighs.
        await SplitCluster.WaitUntilAsync(() => cluster.Registry.Current.Workers.All(w => w.BusyFraction < 0.02), "an idle worker", seconds: 20);
        var idle = await slow.EmbedTextsAsync(texts, SplitPreference.Auto);
        Assert.True(idle.K == idle.N, $"a client half the worker's speed splits on an idle worker: {idle.Predicted}");

        // The worker reports 20 queued requests of ~500 ms of blocks each: the same numbers a real backlog would produce.
        var queued = new RequestWork(Tokens: 0, Rows: (long)Math.Ceiling(500 / stats.MsPerLayerRow), K: 1);
        for (var i = 0; i < 20; i++) stats.Enqueued(queued);
        try
        {
            EdgeResult loaded = idle;
            for (var attempt = 0; attempt < 40 && loaded.K >= idle.K; attempt++)
            {
                await Task.Delay(100);  // next heartbeat (100 ms) and registry refresh (50 ms)
                loaded = await slow.EmbedTextsAsync(texts, SplitPreference.Auto);
            }
            Assert.True(loaded.K < idle.K, $"idle k = {idle.K} ({idle.Predicted}); loaded k = {loaded.K} ({loaded.Predicted})");
            Assert.Contains("queue-ms=", loaded.Predicted, StringComparison.Ordinal);
        }
        finally
        {
            for (var i = 0; i < 20; i++) stats.Abandoned(queued);
        }
    }

    [Fact]
    public async Task Every_decision_is_appended_to_the_capped_Redis_stream()
    {
        using var edge = cluster.NewEdgeClient();
        await edge.EmbedTextsAsync(["stream me"], SplitPreference.Force(3));
        await using var connector = cluster.Redis.Connect();
        var redis = await connector.DatabaseAsync();
        // The log writes in batches (Gateway:DecisionFlushMs) and other tests share the stream: wait for this decision's entry.
        static bool Ours(StackExchange.Redis.StreamEntry e) =>
            e["k"] == "3" && e["n"] == "4" && e["worker"] == "w1" && e["status"] == "200";
        StackExchange.Redis.StreamEntry[] entries = [];
        for (var attempt = 0; attempt < 50 && !entries.Any(Ours); attempt++)
        {
            if (attempt > 0) await Task.Delay(50);
            entries = await redis.StreamRangeAsync(SplitCompute.Gateway.Decisions.DecisionLog.StreamKey, count: 20, messageOrder: StackExchange.Redis.Order.Descending);
        }
        Assert.Contains(entries, Ours);
    }

    [Fact]
    public async Task Malformed_capability_headers_are_reported_back_and_never_fail_the_request()
    {
        using var http = cluster.NewHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = Requests.Texts("Hello") };
        request.Headers.Accept.ParseAdd(MediaTypes.HiddenState);
        request.Headers.TryAddWithoutValidation(HeaderNames.Version, "1");
        request.Headers.TryAddWithoutValidation(HeaderNames.Perf, "gflops=-5, upload-gbps=abc");
        request.Headers.TryAddWithoutValidation(HeaderNames.Network, new string('x', 5000));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var warnings = response.Headers.GetValues(HeaderNames.Warning).ToList();
        Assert.Contains(warnings, w => w.Contains("gflops", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Capability_headers_from_a_json_only_client_are_ignored_and_said_so()
    {
        using var http = cluster.NewHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = Requests.Texts("Hello") };
        request.Headers.TryAddWithoutValidation(HeaderNames.Version, "1");
        request.Headers.TryAddWithoutValidation(HeaderNames.Perf, "gflops=-5, upload-gbps=abc");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var warnings = response.Headers.GetValues(HeaderNames.Warning).ToList();
        Assert.Contains(warnings, w => w.Contains("ignored", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Contains("gflops", StringComparison.Ordinal));
        Assert.Contains("k=4; n=4", response.Headers.GetValues(HeaderNames.Decision).Single(), StringComparison.Ordinal);
    }
}

/// <summary>
/// k = 0 needs only the embedding tables, which the worker holds in host memory: it is answered without a device pass, so a
/// client that takes every layer never waits behind the worker's queue, and the heartbeat tells the gateway so.
/// </summary>
public sealed class EmbeddingsOnlyTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    [Fact]
    public async Task An_embeddings_only_split_runs_no_device_pass_and_the_heartbeat_says_it_skips_the_queue()
    {
        var executor = cluster.Workers[0].Services.GetRequiredService<HeadExecutor>();
        using var edge = cluster.NewEdgeClient();
        await edge.EmbedTextsAsync(["warm up"], SplitPreference.None);
        var passes = executor.BatchedPasses;
        var split = await edge.EmbedTextsAsync(["Hello world", "a"], SplitPreference.Force(0));
        Assert.Equal(0, split.K);
        Assert.False(split.FellBack, split.FallbackReason);
        Assert.Equal(passes, executor.BatchedPasses);  // answered from host memory, not by the batcher
        var cloud = await edge.EmbedTextsAsync(["Hello world", "a"], SplitPreference.None);
        Assert.Equal(passes + 1, executor.BatchedPasses);
        var max = cloud.Embeddings.SelectMany(e => e).Zip(split.Embeddings.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max <= 1e-4, $"max |difference| {max:E3}");
        await SplitCluster.WaitUntilAsync(() => cluster.Registry.Current.Workers.Any(w => w.WorkerId == SplitCluster.WorkerId && w.EmbedsOutsideQueue),
            "a heartbeat saying embeds_outside_queue");
    }
}
