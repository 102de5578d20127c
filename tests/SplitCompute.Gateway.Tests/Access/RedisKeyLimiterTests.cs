using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Access;
using SplitCompute.RedisConnection;
using SplitCompute.Redis.Tests;

namespace SplitCompute.Gateway.Tests.Access;

/// <summary>
/// The shared limiter against a real redis-server, with one connection per simulated gateway replica: limits hold across
/// replicas, freed slots are reusable, and the slot of a gateway that died mid-request expires by itself.
/// </summary>
public sealed class RedisKeyLimiterTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private RedisConnector _replicaA = null!;
    private RedisConnector _replicaB = null!;

    public async Task InitializeAsync()
    {
        _replicaA = redis.Connect();
        _replicaB = redis.Connect();
        await _replicaA.DatabaseAsync();
        await _replicaB.DatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        await _replicaA.DisposeAsync();
        await _replicaB.DisposeAsync();
    }

    private static ApiKeyRecord Key(int rate, int concurrency) =>
        new() { Id = ApiKeys.IdOf(ApiKeys.Hash(ApiKeys.Generate())), Name = "t", RatePerSecond = rate, MaxConcurrent = concurrency };

    [Fact]
    public async Task Rate_is_shared_by_replicas()
    {
        var a = new RedisKeyLimiter(_replicaA);
        var b = new RedisKeyLimiter(_replicaB);
        var lease = TimeSpan.FromSeconds(30);
        // Retried when the machine is so slow that 7 requests span two 1-second windows (then more may pass, legitimately).
        for (var attempt = 1; ; attempt++)
        {
            var key = Key(5, 0);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var outcomes = new List<LimitDecision>();
            for (var i = 0; i < 7; i++) outcomes.Add(await (i % 2 == 0 ? a : b).TryAcquireAsync(key, lease, default));
            if (clock.ElapsedMilliseconds > 800 && attempt < 3) continue;
            Assert.Equal(5, outcomes.Count(o => o.Allowed));
            var refused = outcomes.First(o => !o.Allowed);
            Assert.InRange(refused.RetryAfterSeconds, 1, 1);
            Assert.Contains("rate limit of 5", refused.Reason, StringComparison.Ordinal);
            return;
        }
    }

    [Fact]
    public async Task Concurrency_is_shared_by_replicas_and_freed_slots_are_reused()
    {
        var a = new RedisKeyLimiter(_replicaA);
        var b = new RedisKeyLimiter(_replicaB);
        var key = Key(0, 2);
        var lease = TimeSpan.FromSeconds(30);
        var first = await a.TryAcquireAsync(key, lease, default);
        var second = await b.TryAcquireAsync(key, lease, default);
        Assert.True(first.Allowed && second.Allowed);
        var third = await a.TryAcquireAsync(key, lease, default);
        Assert.False(third.Allowed);
        Assert.Contains("concurrency limit", third.Reason, StringComparison.Ordinal);
        await second.Lease.DisposeAsync();
        Assert.True((await a.TryAcquireAsync(key, lease, default)).Allowed);
    }

    [Fact]
    public async Task A_slot_never_released_by_a_crashed_gateway_expires()
    {
        var limiter = new RedisKeyLimiter(_replicaA);
        var key = Key(0, 1);
        // Long enough that the second acquire lands inside it on a loaded CI machine (600 ms once did not).
        var lease = TimeSpan.FromSeconds(3);
        Assert.True((await limiter.TryAcquireAsync(key, lease, default)).Allowed);  // never disposed: the gateway "died"
        Assert.False((await limiter.TryAcquireAsync(key, lease, default)).Allowed);
        await Task.Delay(lease + TimeSpan.FromMilliseconds(300));
        Assert.True((await limiter.TryAcquireAsync(key, lease, default)).Allowed);
    }

    [Fact]
    public async Task Zero_limits_mean_unlimited_and_touch_nothing()
    {
        var limiter = new KeyLimiter(new RedisKeyLimiter(_replicaA), new LocalKeyLimiter(TimeProvider.System), new RedisTokenLimiter(_replicaA), new LocalTokenLimiter(TimeProvider.System), _replicaA,
            Options.Create(new AccessOptions()), NullLogger<KeyLimiter>.Instance);
        var key = Key(0, 0);
        for (var i = 0; i < 50; i++) Assert.True((await limiter.TryAcquireAsync(key, default)).Allowed);
        Assert.True((await (await _replicaA.DatabaseAsync()).StringGetAsync(RedisKeyLimiter.RateKeyPrefix + key.Id)).IsNull);
    }

    [Fact]
    public async Task Concurrent_checks_batched_into_one_script_run_still_admit_exactly_the_limit_and_free_every_slot()
    {
        // 200 requests at once from two replicas: checks queue behind the call in flight and go together, each decided in turn.
        var a = new RedisKeyLimiter(_replicaA);
        var b = new RedisKeyLimiter(_replicaB);
        var key = Key(0, 37);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => (i % 2 == 0 ? a : b).TryAcquireAsync(key, TimeSpan.FromSeconds(30), default)));
        Assert.Equal(37, outcomes.Count(o => o.Allowed));
        Assert.All(outcomes.Where(o => !o.Allowed), o => Assert.Equal("concurrency", o.Kind));
        await Task.WhenAll(outcomes.Select(o => o.Lease.DisposeAsync().AsTask()));
        var again = await Task.WhenAll(Enumerable.Range(0, 37).Select(_ => a.TryAcquireAsync(key, TimeSpan.FromSeconds(30), default)));
        Assert.All(again, o => Assert.True(o.Allowed));
        await Task.WhenAll(again.Select(o => o.Lease.DisposeAsync().AsTask()));
    }

    [Fact]
    public async Task A_caller_that_gives_up_while_admitted_does_not_keep_its_slot()
    {
        var limiter = new RedisKeyLimiter(_replicaA);
        var key = Key(0, 1);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => limiter.TryAcquireAsync(key, TimeSpan.FromSeconds(30), cancelled.Token));
        // The check ran anyway and admitted it; its slot is given back, so the next request fits.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var next = await limiter.TryAcquireAsync(key, TimeSpan.FromSeconds(30), default);
            if (next.Allowed)
            {
                await next.Lease.DisposeAsync();
                return;
            }
            await Task.Delay(20);
        }
        Assert.Fail("the cancelled request's slot was never freed");
    }
}
