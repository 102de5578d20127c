using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SplitCompute.Gateway.Access;
using SplitCompute.InferenceWorker.Execution;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// One tenant must not starve another (issue 21, item 3), on a real gateway, worker and redis-server: token limits refuse what
/// would flood the worker, the worker shares its passes by key, and work whose client went away stops.
/// </summary>
public sealed class TenantFairnessTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    /// <summary>16 x 1024 token ids: one full pass of the worker's default budget (16,384 tokens) on its own.</summary>
    private static HttpContent Large(int seed) => Requests.Ids([.. Enumerable.Range(0, 16).Select(s => Enumerable.Range(0, 1024).Select(i => (seed * 7919 + s * 131 + i * 17) % 50_000).ToArray())]);

    private static HttpContent Small() => Requests.Texts("hi");

    private WorkerStats Stats => cluster.Workers[0].Services.GetRequiredService<WorkerStats>();

    [Fact]
    public async Task Over_a_keys_token_limits_is_429_with_Retry_After_naming_the_limit_and_a_request_larger_than_one_is_refused_for_good()
    {
        var (key, record) = await cluster.NewKeyAsync(tokensPerMinute: 3_000, tokensInFlight: 2_000);
        using var http = cluster.NewHttpClient(key);
        int[] ids = [.. Enumerable.Range(1, 1_000)];

        using (var tooLarge = await http.PostAsync("/v1/embeddings", Requests.Ids(ids, ids, [1])))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, tooLarge.StatusCode);
            Assert.Null(tooLarge.Headers.RetryAfter);  // waiting cannot help
            var error = await Faults.ErrorAsync(tooLarge);
            Assert.Equal("rate_limit_exceeded", Faults.Code(error));
            Assert.Contains($"Request too large for API key {record.Id}: 2001 tokens, over its limit of 2000 tokens in flight", Faults.Message(error), StringComparison.Ordinal);
        }
        using (var served = await http.PostAsync("/v1/embeddings", Requests.Ids(ids, ids)))
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        using (var overMinute = await http.PostAsync("/v1/embeddings", Requests.Ids(ids, ids)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, overMinute.StatusCode);
            // At most the 1,000 of 2,000 tokens missing at 50 a second (less what refilled while the first was served).
            Assert.InRange(overMinute.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 20);
            var error = await Faults.ErrorAsync(overMinute);
            Assert.Equal("rate_limit_exceeded", Faults.Code(error));
            Assert.Contains("over its limit of 3000 tokens per minute", Faults.Message(error), StringComparison.Ordinal);
        }
        // The same limits hold on the other replica (shared in Redis), and TEI's /embed counts its tokens too.
        using var replica = cluster.NewHttpClient(key, cluster.ReplicaUri);
        using (var elsewhere = await replica.PostAsync("/v1/embeddings", Requests.Ids(ids, ids)))
            Assert.Equal(HttpStatusCode.TooManyRequests, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_small_request_is_answered_within_its_normal_latency_while_another_keys_large_ones_run()
    {
        var (heavyKey, _) = await cluster.NewKeyAsync(rate: 10, concurrency: 8, name: "heavy",
            tokensPerMinute: ApiKeyRecord.DefaultTokensPerMinute, tokensInFlight: ApiKeyRecord.DefaultTokensInFlight);
        var (lightKey, _) = await cluster.NewKeyAsync(rate: 10, concurrency: 4, name: "light",
            tokensPerMinute: ApiKeyRecord.DefaultTokensPerMinute, tokensInFlight: ApiKeyRecord.DefaultTokensInFlight);
        using var heavy = cluster.NewHttpClient(heavyKey);
        using var light = cluster.NewHttpClient(lightKey);
        heavy.Timeout = light.Timeout = TimeSpan.FromMinutes(3);

        var largeMs = await TimeAsync(heavy, Large(0));   // also warms the worker at this size
        largeMs = Math.Min(largeMs, await TimeAsync(heavy, Large(1)));
        var aloneMs = await FastestAsync(light, Small);

        var flood = Enumerable.Range(0, 6).Select(i => heavy.PostAsync("/v1/embeddings", Large(10 + i))).ToList();
        Assert.True(SpinWait.SpinUntil(() => Stats.InFlight >= 1, TimeSpan.FromSeconds(30)), "the large requests never started");
        await Task.Delay(TimeSpan.FromMilliseconds(largeMs / 5));
        var loadedMs = await TimeAsync(light, Small());
        var statuses = (await Task.WhenAll(flood)).Select(r => r.StatusCode).ToList();

        // Today's queue put it behind every large request admitted (4 by the request limits: ~4 passes); fair, it waits at
        // most for the pass running when it came. Bound: its own time plus 2 large passes (1.6 failed once on a loaded CI
        // machine at 462 vs 438 ms).
        var bound = aloneMs + 2 * largeMs + 100;
        Assert.True(loadedMs <= bound,
            $"the small request took {loadedMs:F0} ms under load; alone {aloneMs:F0} ms, one large request {largeMs:F0} ms (bound {bound:F0} ms); large: {string.Join(",", statuses)}");
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);  // tokens in flight capped the flood (2 x 16,384)
        Assert.Contains(HttpStatusCode.OK, statuses);
    }

    [Fact]
    public async Task Work_whose_client_went_away_stops_on_the_worker_and_the_next_request_does_not_wait_for_it()
    {
        var (key, _) = await cluster.NewKeyAsync(name: "leaves");
        using var http = cluster.NewHttpClient(key);
        http.Timeout = TimeSpan.FromMinutes(3);
        var largeMs = await TimeAsync(http, Large(20));
        largeMs = Math.Min(largeMs, await TimeAsync(http, Large(21)));
        var aloneMs = await FastestAsync(http, Small);
        var executor = cluster.Workers[0].Services.GetRequiredService<HeadExecutor>();
        var cancelledBefore = executor.CancelledRequests ?? 0;

        using var leave = new CancellationTokenSource();
        var abandoned = http.PostAsync("/v1/embeddings", Large(22), leave.Token);
        Assert.True(SpinWait.SpinUntil(() => Stats.InFlight >= 1, TimeSpan.FromSeconds(30)), "the large request never started");
        await Task.Delay(TimeSpan.FromMilliseconds(largeMs / 10));
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        var nextMs = await TimeAsync(http, Small());

        Assert.True(SpinWait.SpinUntil(() => executor.CancelledRequests > cancelledBefore, TimeSpan.FromSeconds(10)), "the worker never dropped the abandoned request");
        // It stops at the next of its 4 layers; today it ran to its end first (~0.9 of a large request).
        var bound = aloneMs + 0.55 * largeMs + 100;
        Assert.True(nextMs <= bound, $"the next request took {nextMs:F0} ms; alone {aloneMs:F0} ms, one large request {largeMs:F0} ms (bound {bound:F0} ms)");
    }

    private static async Task<double> FastestAsync(HttpClient http, Func<HttpContent> body)
    {
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++) best = Math.Min(best, await TimeAsync(http, body()));
        return best;
    }

    private static async Task<double> TimeAsync(HttpClient http, HttpContent body)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.PostAsync("/v1/embeddings", body);
        await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return clock.Elapsed.TotalMilliseconds;
    }
}
