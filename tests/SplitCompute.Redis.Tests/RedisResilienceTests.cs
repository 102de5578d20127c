namespace SplitCompute.Redis.Tests;

/// <summary>Restarts and stalls of a real redis-server: a server of its own, since these tests take it down.</summary>
public sealed class RedisResilienceTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _redis;

    public RedisResilienceTests(RedisServerFixture redis) => _redis = redis;

    private RedisOptions Options(int commandTimeoutMs = 1000) => new()
    {
        Endpoint = _redis.Endpoint,
        CommandTimeout = TimeSpan.FromMilliseconds(commandTimeoutMs),
        InitialReconnectDelay = TimeSpan.FromMilliseconds(20),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
    };

    [Fact]
    public async Task RedisRestartFailsCommandsCleanlyThenTheSameClientRecovers()
    {
        await using var client = await RedisConnection.ConnectAsync(Options());
        await client.SetAsync("restart:k", "before");

        await _redis.StopAsync();
        try
        {
            await RedisConnectionTests.Eventually(() => !client.IsConnected);
            for (var i = 0; i < 5; i++)
            {
                var error = await Assert.ThrowsAsync<RedisConnectionException>(() => client.GetAsync("restart:k"));
                Assert.Contains(_redis.Endpoint, error.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            await _redis.StartAsync(); // same port
        }

        // No new client: it reconnects on its own (background loop) and commands succeed again.
        await RedisConnectionTests.Eventually(() => client.IsConnected);
        await client.PingAsync();
        Assert.Null(await client.GetAsync("restart:k")); // nothing is persisted: this is a new server
        await client.SetAsync("restart:k", "after");
        Assert.Equal("after", await client.GetStringAsync("restart:k"));
    }

    [Fact]
    public async Task CommandsInFlightWhenRedisDiesFailWithConnectionException()
    {
        await using var client = await RedisConnection.ConnectAsync(Options(commandTimeoutMs: 5000));
        // DEBUG SLEEP holds the replies, so these are certainly pending when the server is killed.
        var sleeping = client.ExecuteAsync("DEBUG", ["SLEEP", "2"]);
        var behind = Enumerable.Range(0, 10).Select(i => client.IncrementAsync($"dying:{i}")).ToArray();
        await Task.Delay(100);
        await _redis.StopAsync();
        try
        {
            await Assert.ThrowsAsync<RedisConnectionException>(() => sleeping);
            foreach (var task in behind) await Assert.ThrowsAsync<RedisConnectionException>(() => task);
        }
        finally
        {
            await _redis.StartAsync();
        }
        await RedisConnectionTests.Eventually(() => client.IsConnected);
        Assert.Equal(1, await client.IncrementAsync("dying:0"));
    }

    [Fact]
    public async Task CommandTimeoutIsRedisTimeoutExceptionAndTheClientRecovers()
    {
        await using var client = await RedisConnection.ConnectAsync(Options(commandTimeoutMs: 100));
        var error = await Assert.ThrowsAsync<RedisTimeoutException>(() => client.ExecuteAsync("DEBUG", ["SLEEP", "0.5"]));
        Assert.Equal("DEBUG", error.Command);
        Assert.Contains(_redis.Endpoint, error.Message, StringComparison.Ordinal);

        // Once the server is awake again the same client works (the late reply to DEBUG SLEEP went nowhere).
        await Task.Delay(500);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            try
            {
                await client.SetAsync("timeout:k", "ok");
                break;
            }
            catch (RedisException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
        Assert.Equal("ok", await client.GetStringAsync("timeout:k"));
    }

    [Fact]
    public async Task SelectsTheConfiguredDatabase()
    {
        await using var db5 = await RedisConnection.ConnectAsync(Options() with { Database = 5, ClientName = "splitcompute-test" });
        await using var db0 = await RedisConnection.ConnectAsync(Options());
        await db5.SetAsync("db:k", "five");
        Assert.Null(await db0.GetAsync("db:k"));
        Assert.Equal("five", await db5.GetStringAsync("db:k"));
        Assert.Equal("splitcompute-test", (await db5.ExecuteAsync("CLIENT", ["GETNAME"])).AsString());
    }
}
