using System.Diagnostics;
using SplitCompute.RedisConnection;
using StackExchange.Redis;

namespace SplitCompute.Redis.Tests;

/// <summary>The product's Redis connection (StackExchange.Redis with our settings) against a real redis-server.</summary>
public sealed class RedisConnectorTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Scan_finds_every_matching_key_once_across_pages()
    {
        await using var connector = redis.Connect();
        var database = await connector.DatabaseAsync();
        var prefix = $"splitcompute:test:scan:{Guid.NewGuid():N}:";
        for (var i = 0; i < 600; i++) await database.StringSetAsync(prefix + i, i);
        await database.StringSetAsync("splitcompute:test:other", 1);
        var keys = await connector.ScanAsync(prefix + "*", pageSize: 50);
        Assert.Equal(600, keys.Count);
        Assert.Equal(600, keys.Select(k => (string)k!).Distinct().Count());
    }

    [Fact]
    public void A_malformed_endpoint_is_refused_at_construction_naming_it()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RedisConnector(new RedisSettings { Endpoint = "127.0.0.1:6379,nonsense-option=1" }));
        Assert.Contains("127.0.0.1:6379,nonsense-option=1", ex.Message, StringComparison.Ordinal);
        var none = Assert.Throws<ArgumentException>(() => new RedisConnector(new RedisSettings { Endpoint = "ssl=true" }));
        Assert.Contains("names no server", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_settings_never_show_the_password()
    {
        var settings = new RedisSettings { Endpoint = "redis:6379", User = "gateway", Password = "hunter2", Tls = true };
        Assert.DoesNotContain("hunter2", settings.ToString(), StringComparison.Ordinal);
        Assert.Equal("redis:6379 (TLS) as gateway", settings.ToString());
    }
}

/// <summary>Redis down at start-up, and a restart: nothing waits for Redis, commands fail fast, the same connector recovers.</summary>
public sealed class RedisConnectorOutageTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task Down_at_start_fails_fast_then_connects_in_the_background_when_Redis_comes()
    {
        await _redis.StopAsync();
        var clock = Stopwatch.StartNew();
        // A long command timeout, so that waiting in a backlog would show as tens of seconds, far from a loaded machine's jitter.
        await using var connector = new RedisConnector(_redis.ClientSettings with { CommandTimeout = TimeSpan.FromSeconds(30) });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"constructing the connector waited {clock.Elapsed} for Redis");
        Assert.False(connector.IsConnected);
        var database = await connector.DatabaseAsync();  // the first attempt: at most the connect timeout (2 s)
        clock.Restart();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => database.StringGetAsync("splitcompute:test:down"));
        Assert.True(RedisFailure.Is(ex), $"{ex.GetType().Name}: {ex.Message}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"a command while Redis is down took {clock.Elapsed} to fail (backlog instead of fail-fast?)");

        await _redis.StartAsync();
        await WaitUntilAsync(() => connector.IsConnected, TimeSpan.FromSeconds(10), "the connector reconnecting (backoff is capped at 2 s)");
        await database.StringSetAsync("splitcompute:test:up", "yes");
        Assert.Equal("yes", (string?)await database.StringGetAsync("splitcompute:test:up"));
    }

    [Fact]
    public async Task A_restart_counts_as_a_new_generation_and_the_same_connector_carries_on()
    {
        await using var connector = _redis.Connect();
        var database = await connector.DatabaseAsync();
        await database.StringSetAsync("splitcompute:test:before", 1);
        var generation = connector.Generation;

        await _redis.StopAsync();
        await WaitUntilAsync(() => !connector.IsConnected, TimeSpan.FromSeconds(10), "the connector noticing Redis is gone");
        await _redis.StartAsync();
        // What a process published once (manifests) it publishes again: the restored event comes soon after the connection.
        await WaitUntilAsync(() => connector.IsConnected && connector.Generation != generation, TimeSpan.FromSeconds(10), "the connector reconnecting as a new generation");
        Assert.True((await database.StringGetAsync("splitcompute:test:before")).IsNull, "redis-server restarted without persistence");
        await database.StringSetAsync("splitcompute:test:after", 2);
        Assert.Equal(2, (int)await database.StringGetAsync("splitcompute:test:after"));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"{what} did not happen within {limit.TotalSeconds} s");
            await Task.Delay(20);
        }
    }
}

/// <summary>A production-like Redis: password, an ACL user limited to SplitCompute's keys, TLS with a private CA.</summary>
public sealed class SecuredRedisTests(SecuredRedisServerFixture redis) : IClassFixture<SecuredRedisServerFixture>
{
    [Fact]
    public async Task The_ACL_user_over_TLS_reads_and_writes_SplitComputes_keys_and_nothing_else()
    {
        // A generous reply timeout: a loaded CI machine once took over the default second for the first command over TLS.
        await using var connector = new RedisConnector(redis.ClientSettings with { CommandTimeout = TimeSpan.FromSeconds(15) });
        var database = await connector.DatabaseAsync();
        Assert.True(connector.IsConnected, "the ACL user did not connect over TLS");
        await database.StringSetAsync("splitcompute:test:tls", "over TLS");
        Assert.Equal("over TLS", (string?)await database.StringGetAsync("splitcompute:test:tls"));
        var denied = await Assert.ThrowsAsync<RedisServerException>(() => database.StringSetAsync("someone-else:key", 1));
        Assert.Contains("NOPERM", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_never_connects_over_TLS_and_commands_fail_fast()
    {
        // Why it failed is named in the error on a plain connection (RedisRolesTests): over TLS on a loaded machine the reason
        // seen may also be the handshake's, so only the outcome is checked here.
        await using var connector = new RedisConnector(redis.ClientSettings with { Password = "wrong" });
        var database = await connector.DatabaseAsync();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await Assert.ThrowsAsync<RedisConnectionException>(() => database.StringGetAsync("splitcompute:test:tls"));
            Assert.False(connector.IsConnected);
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Without_trusting_the_private_CA_TLS_is_refused()
    {
        await using var connector = new RedisConnector(redis.ClientSettings with { TlsCaFile = null, Tls = true });
        var database = await connector.DatabaseAsync();
        Assert.False(connector.IsConnected);
        await Assert.ThrowsAsync<RedisConnectionException>(() => database.StringGetAsync("splitcompute:test:tls"));
    }

    [Fact]
    public async Task The_plain_port_refuses_the_product_without_a_password()
    {
        await using var connector = new RedisConnector(new RedisSettings { Endpoint = redis.Endpoint });
        var database = await connector.DatabaseAsync();
        await Assert.ThrowsAnyAsync<RedisException>(() => database.StringGetAsync("splitcompute:test:tls"));
    }
}
