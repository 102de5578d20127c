using Microsoft.Extensions.Time.Testing;
using SplitCompute.Gateway.Access;

namespace SplitCompute.Gateway.Tests.Access;

/// <summary>The per-replica fallback enforces the same rate and concurrency rules as the Redis limiter.</summary>
public sealed class LocalKeyLimiterTests
{
    private static ApiKeyRecord Key(int rate, int concurrency) =>
        new() { Id = "0123456789ab", Name = "t", RatePerSecond = rate, MaxConcurrent = concurrency };

    [Fact]
    public async Task Rate_is_per_one_second_window()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var limiter = new LocalKeyLimiter(time);
        var key = Key(3, 0);
        for (var i = 0; i < 3; i++) await using (limiter.TryAcquire(key).Lease) { }
        var refused = limiter.TryAcquire(key);
        Assert.False(refused.Allowed);
        Assert.Equal("local", refused.Scope);
        Assert.Contains("rate limit of 3", refused.Reason, StringComparison.Ordinal);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(limiter.TryAcquire(key).Allowed);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryAcquire(key).Allowed);
    }

    [Fact]
    public async Task Concurrency_slots_are_freed_once_when_leases_end()
    {
        var limiter = new LocalKeyLimiter(new FakeTimeProvider(DateTimeOffset.UnixEpoch));
        var key = Key(0, 2);
        var a = limiter.TryAcquire(key);
        var b = limiter.TryAcquire(key);
        Assert.True(a.Allowed && b.Allowed);
        var c = limiter.TryAcquire(key);
        Assert.False(c.Allowed);
        Assert.Contains("concurrency limit", c.Reason, StringComparison.Ordinal);
        await a.Lease.DisposeAsync();
        await a.Lease.DisposeAsync();  // a double release must not free a second slot
        Assert.True(limiter.TryAcquire(key).Allowed);
        Assert.False(limiter.TryAcquire(key).Allowed);
    }
}
