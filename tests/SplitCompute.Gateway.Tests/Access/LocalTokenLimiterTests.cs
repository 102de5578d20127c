using Microsoft.Extensions.Time.Testing;
using SplitCompute.Gateway.Access;

namespace SplitCompute.Gateway.Tests.Access;

/// <summary>The per-replica fallback enforces the same token rules as the Redis script.</summary>
public sealed class LocalTokenLimiterTests
{
    private static ApiKeyRecord Key(int perMinute, int inFlight) =>
        new() { Id = "0123456789ab", Name = "t", TokensPerMinute = perMinute, TokensInFlight = inFlight };

    [Fact]
    public async Task The_bucket_empties_and_refills_at_the_limit_per_minute()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var limiter = new LocalTokenLimiter(time);
        var key = Key(6_000, 0);
        await using (limiter.TryReserve(key, 6_000).Lease) { }
        var refused = limiter.TryReserve(key, 500);
        Assert.Equal((false, "local", TokenLimits.PerMinuteKind, 5), (refused.Allowed, refused.Scope, refused.Kind, refused.RetryAfterSeconds));
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(limiter.TryReserve(key, 500).Allowed);
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(limiter.TryReserve(key, 500).Allowed);
    }

    [Fact]
    public async Task Tokens_in_flight_are_freed_once_when_leases_end()
    {
        var limiter = new LocalTokenLimiter(new FakeTimeProvider());
        var key = Key(0, 100);
        var first = limiter.TryReserve(key, 70);
        Assert.True(first.Allowed);
        Assert.False(limiter.TryReserve(key, 31).Allowed);
        await first.Lease.DisposeAsync();
        await first.Lease.DisposeAsync();  // twice: freed once
        Assert.True(limiter.TryReserve(key, 100).Allowed);
        Assert.False(limiter.TryReserve(key, 1).Allowed);
    }

    [Fact]
    public void A_request_larger_than_a_limit_is_refused_for_good()
    {
        var limiter = new LocalTokenLimiter(new FakeTimeProvider());
        var refused = limiter.TryReserve(Key(0, 100), 101);
        Assert.Equal((false, 0, TokenLimits.InFlightKind), (refused.Allowed, refused.RetryAfterSeconds, refused.Kind));
        Assert.Contains("Request too large", refused.Reason, StringComparison.Ordinal);
    }
}
