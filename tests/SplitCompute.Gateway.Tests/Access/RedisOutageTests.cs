using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SplitCompute.Gateway.Access;
using SplitCompute.RedisConnection;
using SplitCompute.Redis.Tests;

namespace SplitCompute.Gateway.Tests.Access;

/// <summary>
/// What keys and limits do when redis-server dies (its own server, killed as a crash would): known keys keep working from the
/// last lookup, unknown keys cannot be verified (never let in), limits fall back to this replica, and revocations reach the
/// gateway within the cache period once Redis is back.
/// </summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private RedisConnector _client = null!;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _client = _redis.Connect();
        // Connect before the tests time anything: on a loaded machine (test assemblies run side by side) the first command of a
        // fresh connection has missed the 1 s command timeout, failing a test in its set-up rather than in what it checks.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await (await _client.DatabaseAsync()).PingAsync();
                break;
            }
            catch (Exception ex) when (RedisFailure.Is(ex) && attempt < 10)
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private ApiKeyCache Cache(ApiKeyStore store) =>
        new(store, _client, ApiKeyMac.None, Options.Create(new AccessOptions { ApiKeyCacheSeconds = 2 }), _time, NullLogger<ApiKeyCache>.Instance);

    [Fact]
    public async Task Known_keys_survive_an_outage_unknown_ones_are_not_let_in_and_limits_go_local()
    {
        var store = new ApiKeyStore(_client, TimeProvider.System);
        var (known, record) = await store.CreateAsync("known", 0, 1);
        var (unseen, _) = await store.CreateAsync("unseen", 0, 1);
        var cache = Cache(store);
        Assert.Equal(record, (await cache.LookupAsync(known, default)).Record);

        await _redis.StopAsync();
        _time.Advance(TimeSpan.FromSeconds(10));  // the cached lookup is old: Redis would be asked, and cannot be
        var stale = await cache.LookupAsync(known, default);
        Assert.Equal((record, false, true), (stale.Record, stale.Unavailable, stale.Stale));
        var never = await cache.LookupAsync(unseen, default);
        Assert.Equal((null, true), (never.Record, never.Unavailable));

        var limiter = new KeyLimiter(new RedisKeyLimiter(_client), new LocalKeyLimiter(TimeProvider.System), new RedisTokenLimiter(_client), new LocalTokenLimiter(TimeProvider.System), _client,
            Options.Create(new AccessOptions()), NullLogger<KeyLimiter>.Instance);
        var first = await limiter.TryAcquireAsync(record, default);
        Assert.Equal((true, "local"), (first.Allowed, first.Scope));
        var second = await limiter.TryAcquireAsync(record, default);
        Assert.Equal((false, "local"), (second.Allowed, second.Scope));
        await first.Lease.DisposeAsync();
        Assert.True((await limiter.TryAcquireAsync(record, default)).Allowed);
    }

    [Fact]
    public async Task A_flood_of_invented_keys_never_pushes_a_known_key_out_so_it_survives_a_Redis_pause()
    {
        // Issue 21: the cache used to start over at its capacity, so 10k invented keys then a Redis pause turned a working key into 503s.
        var store = new ApiKeyStore(_client, TimeProvider.System);
        var (known, record) = await store.CreateAsync("known through a flood", 0, 0);
        var cache = new ApiKeyCache(store, _client, ApiKeyMac.None, Options.Create(new AccessOptions { ApiKeyCacheSeconds = 2, ApiKeyCacheEntries = 16, ApiKeyUnknownCacheEntries = 16 }),
            _time, NullLogger<ApiKeyCache>.Instance);
        Assert.Equal(record, (await cache.LookupAsync(known, default)).Record);
        for (var i = 0; i < 200; i++) Assert.Null((await cache.LookupAsync(ApiKeys.Generate(), default)).Record);

        await _redis.StopAsync();
        _time.Advance(TimeSpan.FromSeconds(10));
        var during = await cache.LookupAsync(known, default);
        Assert.Equal((record, false, true), (during.Record, during.Unavailable, during.Stale));
    }

    [Fact]
    public async Task Revocation_is_seen_once_the_cached_lookup_is_older_than_the_cache_period()
    {
        var store = new ApiKeyStore(_client, TimeProvider.System);
        var (key, record) = await store.CreateAsync("revoked-later", 0, 0);
        var cache = Cache(store);
        Assert.False((await cache.LookupAsync(key, default)).Record!.Revoked);
        await store.RevokeAsync(record.Id);
        _time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.False((await cache.LookupAsync(key, default)).Record!.Revoked);  // within the stated period: still cached
        _time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.True((await cache.LookupAsync(key, default)).Record!.Revoked);
    }
}
