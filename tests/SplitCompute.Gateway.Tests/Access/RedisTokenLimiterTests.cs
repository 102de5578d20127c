using SplitCompute.Gateway.Access;
using SplitCompute.RedisConnection;
using SplitCompute.Redis.Tests;

namespace SplitCompute.Gateway.Tests.Access;

/// <summary>
/// The token limit script against a real redis-server, one connection per simulated gateway replica: the per-minute bucket
/// and the tokens in flight are shared, a refusal charges nothing, freed tokens are reusable, and a request larger than a
/// limit is refused for good (no Retry-After).
/// </summary>
public sealed class RedisTokenLimiterTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
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

    private static ApiKeyRecord Key(int perMinute, int inFlight) =>
        new() { Id = ApiKeys.IdOf(ApiKeys.Hash(ApiKeys.Generate())), Name = "t", TokensPerMinute = perMinute, TokensInFlight = inFlight };

    [Fact]
    public async Task Tokens_per_minute_are_shared_by_replicas_and_a_refusal_says_when_to_retry()
    {
        var a = new RedisTokenLimiter(_replicaA);
        var b = new RedisTokenLimiter(_replicaB);
        var key = Key(6_000, 0);  // refills 100 tokens a second
        Assert.True((await a.TryReserveAsync(key, 4_000, Lease, default)).Allowed);
        Assert.True((await b.TryReserveAsync(key, 1_900, Lease, default)).Allowed);
        var refused = await a.TryReserveAsync(key, 1_000, Lease, default);
        Assert.False(refused.Allowed);
        Assert.Equal(TokenLimits.PerMinuteKind, refused.Kind);
        Assert.Contains("limit of 6000 tokens per minute", refused.Reason, StringComparison.Ordinal);
        // ~900 tokens missing at 100 a second: about 9 s (less the little that refilled meanwhile).
        Assert.InRange(refused.RetryAfterSeconds, 8, 9);
        // The refusal charged nothing: what is left (~100 + refill) still serves a small request.
        Assert.True((await b.TryReserveAsync(key, 100, Lease, default)).Allowed);
    }

    [Fact]
    public async Task The_bucket_refills_with_time()
    {
        var limiter = new RedisTokenLimiter(_replicaA);
        // 100 tokens a second: 500 tokens need 5 s of refill (a loaded machine's pause between two calls stays far below that),
        // 50 tokens 0.5 s.
        var key = Key(6_000, 0);
        Assert.True((await limiter.TryReserveAsync(key, 6_000, Lease, default)).Allowed);
        Assert.False((await limiter.TryReserveAsync(key, 500, Lease, default)).Allowed);
        await Task.Delay(700);
        Assert.True((await limiter.TryReserveAsync(key, 50, Lease, default)).Allowed);
    }

    [Fact]
    public async Task Tokens_in_flight_are_shared_by_replicas_and_freed_when_requests_end()
    {
        var a = new RedisTokenLimiter(_replicaA);
        var b = new RedisTokenLimiter(_replicaB);
        var key = Key(0, 1_000);
        var first = await a.TryReserveAsync(key, 600, Lease, default);
        var second = await b.TryReserveAsync(key, 400, Lease, default);
        Assert.True(first.Allowed && second.Allowed);
        var third = await a.TryReserveAsync(key, 1, Lease, default);
        Assert.False(third.Allowed);
        Assert.Equal((TokenLimits.InFlightKind, 1), (third.Kind, third.RetryAfterSeconds));
        Assert.Contains("already has 1000 tokens in flight", third.Reason, StringComparison.Ordinal);
        await first.Lease.DisposeAsync();
        Assert.True((await b.TryReserveAsync(key, 600, Lease, default)).Allowed);
        Assert.False((await b.TryReserveAsync(key, 1, Lease, default)).Allowed);
    }

    [Fact]
    public async Task Tokens_held_by_a_crashed_gateway_expire()
    {
        var limiter = new RedisTokenLimiter(_replicaA);
        var key = Key(0, 100);
        var lease = TimeSpan.FromSeconds(2);
        Assert.True((await limiter.TryReserveAsync(key, 100, lease, default)).Allowed);  // never released
        Assert.False((await limiter.TryReserveAsync(key, 100, lease, default)).Allowed);
        await Task.Delay(lease + TimeSpan.FromMilliseconds(300));
        Assert.True((await limiter.TryReserveAsync(key, 100, lease, default)).Allowed);
    }

    [Theory]
    [InlineData(1_000, 0, "limit of 1000 tokens per minute")]
    [InlineData(0, 1_000, "limit of 1000 tokens in flight")]
    public async Task A_request_larger_than_a_limit_is_refused_without_Retry_After(int perMinute, int inFlight, string reason)
    {
        var limiter = new RedisTokenLimiter(_replicaA);
        var key = Key(perMinute, inFlight);
        var refused = await limiter.TryReserveAsync(key, 1_001, Lease, default);
        Assert.False(refused.Allowed);
        Assert.Equal(0, refused.RetryAfterSeconds);
        Assert.Contains("Request too large", refused.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, refused.Reason, StringComparison.Ordinal);
        Assert.True((await limiter.TryReserveAsync(key, 1_000, Lease, default)).Allowed);  // nothing was charged
    }
}
