using System.Diagnostics;
using System.Globalization;
using SplitCompute.Gateway.Access;
using SplitCompute.RedisConnection;
using SplitCompute.Redis.Tests;
using StackExchange.Redis;

namespace SplitCompute.Gateway.Tests.Access;

/// <summary>
/// Large limits, where each replica takes its share of a key's limit in chunks and decides in memory, against a real
/// redis-server with two simulated replicas: the limit still holds across replicas, Redis is asked once per many requests
/// (counted by redis-server itself), shares go back when requests end, and a dead replica's share expires.
/// </summary>
public sealed class ChunkedSharesTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private RedisConnector _replicaA = null!;
    private RedisConnector _replicaB = null!;
    private ConnectionMultiplexer _admin = null!;

    public async Task InitializeAsync()
    {
        // A generous reply timeout: these tests count script runs and check limits, not latency, on loaded CI machines.
        _replicaA = new RedisConnector(redis.ClientSettings with { CommandTimeout = TimeSpan.FromSeconds(15) });
        _replicaB = new RedisConnector(redis.ClientSettings with { CommandTimeout = TimeSpan.FromSeconds(15) });
        await _replicaA.DatabaseAsync();
        await _replicaB.DatabaseAsync();
        _admin = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint + ",allowAdmin=true");
    }

    public async Task DisposeAsync()
    {
        await _replicaA.DisposeAsync();
        await _replicaB.DisposeAsync();
        await _admin.DisposeAsync();
    }

    private static ApiKeyRecord Key(int rate = 0, int concurrency = 0, int perMinute = 0, int inFlight = 0) => new()
    {
        Id = ApiKeys.IdOf(ApiKeys.Hash(ApiKeys.Generate())), Name = "t", RatePerSecond = rate, MaxConcurrent = concurrency,
        TokensPerMinute = perMinute, TokensInFlight = inFlight,
    };

    /// <summary>Script runs redis-server has executed (EVAL and EVALSHA), from its own statistics.</summary>
    private async Task<long> ScriptRunsAsync()
    {
        var info = await _admin.GetServer(_admin.GetEndPoints()[0]).InfoAsync("commandstats");
        return info.SelectMany(g => g).Where(p => p.Key is "cmdstat_eval" or "cmdstat_evalsha")
            .Sum(p => long.Parse(p.Value.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture));
    }

    private async Task<long> SharesHeldAsync(string hashKey) =>
        (await _admin.GetDatabase().HashValuesAsync(hashKey)).Sum(v => long.Parse(((string)v!).Split(':')[0], CultureInfo.InvariantCulture));

    [Fact]
    public async Task A_large_concurrency_limit_holds_across_replicas_with_few_script_runs_and_shares_go_back()
    {
        using var a = new RedisKeyLimiter(_replicaA);
        using var b = new RedisKeyLimiter(_replicaB);
        var key = Key(concurrency: 640);  // chunks of 20
        // One at a time (concurrent checks would be batched anyway): in chunks, a few script runs for 600 requests.
        var before = await ScriptRunsAsync();
        var outcomes = new List<LimitDecision>();
        for (var i = 0; i < 600; i++) outcomes.Add(await (i % 2 == 0 ? a : b).TryAcquireAsync(key, Lease, default));
        var runs = await ScriptRunsAsync() - before;
        Assert.All(outcomes, o => Assert.True(o.Allowed));
        outcomes.AddRange(await Task.WhenAll(Enumerable.Range(0, 400).Select(i => (i % 2 == 0 ? a : b).TryAcquireAsync(key, Lease, default))));
        var admitted = outcomes.Count(o => o.Allowed);
        // Never over the limit; under it by at most what the other replica holds unused (a chunk).
        Assert.InRange(admitted, 640 - 20, 640);
        Assert.True(await SharesHeldAsync(RedisKeyLimiter.ConcurrencyKeyPrefix + key.Id) <= 640);
        Assert.True(runs < 100, $"{runs} script runs for 600 checks");
        await Task.WhenAll(outcomes.Select(o => o.Lease.DisposeAsync().AsTask()));
        // Idle replicas give their shares back within a couple of renewal ticks (500 ms each).
        var clock = Stopwatch.StartNew();
        while (await SharesHeldAsync(RedisKeyLimiter.ConcurrencyKeyPrefix + key.Id) > 0 && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        Assert.Equal(0, await SharesHeldAsync(RedisKeyLimiter.ConcurrencyKeyPrefix + key.Id));
        // And all of it is there for one replica alone.
        var again = await Task.WhenAll(Enumerable.Range(0, 640).Select(_ => b.TryAcquireAsync(key, Lease, default)));
        Assert.All(again, o => Assert.True(o.Allowed));
        Assert.False((await a.TryAcquireAsync(key, Lease, default)).Allowed);
    }

    [Fact]
    public async Task A_large_rate_costs_one_script_run_per_chunk_and_never_admits_more_than_the_window_holds()
    {
        using var a = new RedisKeyLimiter(_replicaA);
        using var b = new RedisKeyLimiter(_replicaB);
        for (var attempt = 1; ; attempt++)
        {
            var key = Key(rate: 3_200);  // chunks of 100
            var before = await ScriptRunsAsync();
            var clock = Stopwatch.StartNew();
            var outcomes = new List<LimitDecision>();
            for (var i = 0; i < 4_000; i++) outcomes.Add(await (i % 2 == 0 ? a : b).TryAcquireAsync(key, Lease, default));
            var elapsed = clock.Elapsed;
            var runs = await ScriptRunsAsync() - before;
            if (elapsed > TimeSpan.FromMilliseconds(800) && attempt < 3) continue;  // spread over two windows on a slow machine
            var admitted = outcomes.Count(o => o.Allowed);
            Assert.InRange(admitted, 3_200 - 100, 3_200);
            Assert.True(runs < 400, $"{runs} script runs for 4,000 checks");
            var refused = outcomes.First(o => !o.Allowed);
            Assert.Equal(("rate", 1), (refused.Kind, refused.RetryAfterSeconds));
            return;
        }
    }

    [Fact]
    public async Task Large_token_limits_hold_across_replicas_and_a_refusal_by_the_bucket_gives_its_tokens_in_flight_back()
    {
        using var a = new RedisTokenLimiter(_replicaA);
        using var b = new RedisTokenLimiter(_replicaB);
        var key = Key(perMinute: 3_200_000, inFlight: 320_000);  // chunks of 100,000 and 10,000 tokens
        var before = await ScriptRunsAsync();
        var reservations = new List<LimitDecision>();
        for (var i = 0; i < 300; i++) reservations.Add(await (i % 2 == 0 ? a : b).TryReserveAsync(key, 1_000, Lease, default));
        Assert.All(reservations, r => Assert.True(r.Allowed));
        Assert.True(await ScriptRunsAsync() - before < 120, "token limits asked Redis for nearly every request");
        // 300,000 tokens in flight: 20,000 more fit under the in-flight limit (less what the other replica holds unused).
        var over = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).TryReserveAsync(key, 1_000, Lease, default)));
        Assert.InRange(over.Count(o => o.Allowed), 20 - 10, 20);
        Assert.All(over.Where(o => !o.Allowed), o => Assert.Equal(TokenLimits.InFlightKind, o.Kind));
        await Task.WhenAll(reservations.Concat(over).Select(r => r.Lease.DisposeAsync().AsTask()));

        // Spend the bucket down (3.2 M a minute) in requests that end at once; then one is refused by the bucket, and the
        // in-flight tokens it took first are given back (the full in-flight limit is free again).
        for (var spent = 0; spent < 60; spent++)
        {
            var r = await (spent % 2 == 0 ? a : b).TryReserveAsync(key, 50_000, Lease, default);
            if (!r.Allowed)
            {
                Assert.Equal(TokenLimits.PerMinuteKind, r.Kind);
                Assert.True(r.RetryAfterSeconds >= 1);
                var clock = Stopwatch.StartNew();
                while (await SharesHeldAsync(RedisTokenLimiter.InFlightKeyPrefix + key.Id) > 0 && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
                Assert.Equal(0, await SharesHeldAsync(RedisTokenLimiter.InFlightKeyPrefix + key.Id));
                return;
            }
            await r.Lease.DisposeAsync();
        }
        Assert.Fail("3,000,000 tokens within a second were never refused by a 3,200,000 tokens-per-minute bucket");
    }

    [Fact]
    public async Task The_share_of_a_replica_that_died_expires_after_the_lease_time()
    {
        var lease = TimeSpan.FromSeconds(2);
        var key = Key(concurrency: 320);  // chunks of 10
        var dying = new RedisKeyLimiter(_replicaA);
        var held = await Task.WhenAll(Enumerable.Range(0, 320).Select(_ => dying.TryAcquireAsync(key, lease, default)));
        Assert.All(held, o => Assert.True(o.Allowed));
        dying.Dispose();  // no more renewals, its requests never end: what a crash looks like from Redis
        using var survivor = new RedisKeyLimiter(_replicaB);
        Assert.False((await survivor.TryAcquireAsync(key, lease, default)).Allowed);
        await Task.Delay(lease + TimeSpan.FromMilliseconds(500));
        Assert.True((await survivor.TryAcquireAsync(key, lease, default)).Allowed);
    }
}
