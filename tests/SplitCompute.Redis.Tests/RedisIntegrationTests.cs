using System.Text;
using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis.Tests;

/// <summary>Every typed helper and the pipeline, against a real redis-server.</summary>
public sealed class RedisIntegrationTests : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly RedisServerFixture _redis;
    private RedisConnection _client = null!;
    private readonly string _prefix = $"t:{Guid.NewGuid():N}:"; // keys of one test never meet another's

    public RedisIntegrationTests(RedisServerFixture redis) => _redis = redis;

    public async Task InitializeAsync() => _client = await RedisConnection.ConnectAsync(new RedisOptions { Endpoint = _redis.Endpoint });

    public async Task DisposeAsync() => await _client.DisposeAsync();

    private string Key(string name) => _prefix + name;

    [Fact]
    public async Task PingAnswers()
    {
        Assert.True(_client.IsConnected);
        Assert.InRange(await _client.PingAsync(), TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task SetGetAndDeleteRoundTripBinaryValues()
    {
        var value = new byte[] { 0, 1, 13, 10, 255, 36, 42 };
        await _client.SetAsync(Key("bin"), value);
        Assert.Equal(value, await _client.GetAsync(Key("bin")));
        await _client.SetAsync(Key("text"), "héllo");
        Assert.Equal("héllo", await _client.GetStringAsync(Key("text")));
        Assert.Null(await _client.GetAsync(Key("missing")));

        Assert.True(await _client.DeleteAsync(Key("bin")));
        Assert.False(await _client.DeleteAsync(Key("bin")));
        Assert.Equal(1, await _client.DeleteAsync([Key("text"), Key("missing")]));
        Assert.Equal(0, await _client.DeleteAsync([]));
    }

    [Fact]
    public async Task SetWithExpirySetsAMillisecondTtl()
    {
        await _client.SetAsync(Key("hb"), "alive", TimeSpan.FromMilliseconds(1500));
        var ttl = (await _client.ExecuteAsync("PTTL", [Key("hb")])).AsInteger();
        Assert.InRange(ttl, 1000, 1500);

        await _client.SetAsync(Key("short"), 1, TimeSpan.FromMilliseconds(50));
        await Task.Delay(150);
        Assert.Null(await _client.GetAsync(Key("short")));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.SetAsync(Key("x"), 1, TimeSpan.Zero));
    }

    [Fact]
    public async Task MGetReturnsValuesInKeyOrderWithNullsForMissingKeys()
    {
        await _client.SetAsync(Key("a"), "1");
        await _client.SetAsync(Key("c"), "3");
        var values = await _client.MGetAsync([Key("a"), Key("b"), Key("c")]);
        Assert.Equal(["1", null, "3"], values.Select(v => v is null ? null : Encoding.UTF8.GetString(v)));
        Assert.Empty(await _client.MGetAsync([]));
    }

    [Fact]
    public async Task ScanKeysIteratesEveryPageAndYieldsEachMatchOnce()
    {
        var expected = Enumerable.Range(0, 300).Select(i => Key($"worker:{i}")).ToHashSet();
        await Task.WhenAll(expected.Select(k => _client.SetAsync(k, 1)));
        await _client.SetAsync(Key("other"), 1);

        var found = new List<string>();
        await foreach (var key in _client.ScanKeysAsync(_prefix + "worker:*", pageSize: 10)) found.Add(key);

        Assert.Equal(found.Count, found.Distinct().Count());
        Assert.Equal(expected.Order(), found.Order());
    }

    [Fact]
    public async Task HashSetAndGetAllAndExpire()
    {
        var key = Key("worker:7");
        Assert.Equal(3, await _client.HashSetAsync(key, [new("load", 0.75), new("queue", 12), new("gpu", "H100")]));
        Assert.Equal(0, await _client.HashSetAsync(key, [new("load", 0.5)]));
        var hash = await _client.HashGetAllAsync(key);
        Assert.Equal(3, hash.Count);
        Assert.Equal("0.5", Encoding.UTF8.GetString(hash["load"]));
        Assert.Equal("12", Encoding.UTF8.GetString(hash["queue"]));
        Assert.Equal("H100", Encoding.UTF8.GetString(hash["gpu"]));
        Assert.Empty(await _client.HashGetAllAsync(Key("nothing")));

        Assert.True(await _client.ExpireAsync(key, TimeSpan.FromMilliseconds(800)));
        Assert.InRange((await _client.ExecuteAsync("PTTL", [key])).AsInteger(), 1, 800);
        Assert.False(await _client.ExpireAsync(Key("nothing"), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task IncrementCountsUpAndByAnyAmount()
    {
        Assert.Equal(1, await _client.IncrementAsync(Key("n")));
        Assert.Equal(2, await _client.IncrementAsync(Key("n")));
        Assert.Equal(12, await _client.IncrementAsync(Key("n"), 10));
        Assert.Equal(7, await _client.IncrementAsync(Key("n"), -5));
    }

    [Fact]
    public async Task StreamAddTrimsApproximatelyAndRangeReturnsNewestFirst()
    {
        var key = Key("decisions");
        var ids = new List<string>();
        for (var i = 0; i < 500; i++)
            ids.Add(await _client.StreamAddAsync(key, [new("request", $"r{i}"), new("split", i % 12), new("target", "edge-1")], maxLengthApprox: 100));

        Assert.Matches(@"^\d+-\d+$", ids[0]);
        var length = (await _client.ExecuteAsync("XLEN", [key])).AsInteger();
        Assert.InRange(length, 100, 300); // "~" trims whole nodes, so somewhat more than 100 may remain

        var newest = await _client.StreamRangeAsync(key, 3);
        Assert.Equal(ids[^3..].AsEnumerable().Reverse(), newest.Select(e => e.Id));
        Assert.Equal("r499", newest[0].GetString("request"));
        Assert.Equal("7", newest[0].GetString("split"));
        Assert.Equal(["request", "split", "target"], newest[0].Fields.Select(f => f.Key));
        Assert.Null(newest[0].GetString("absent"));
        Assert.Empty(await _client.StreamRangeAsync(Key("no-stream"), 5));
    }

    [Fact]
    public async Task EvalRunsScriptsAndFallsBackFromEvalShaWhenNotCached()
    {
        await _client.ExecuteAsync("SCRIPT", ["FLUSH"]);
        const string script = "return redis.call('INCRBY', KEYS[1], ARGV[1]) * 2";
        Assert.Equal(10, (await _client.EvalAsync(script, [Key("lua")], [5])).AsInteger()); // NOSCRIPT, then EVAL
        Assert.Equal(20, (await _client.EvalAsync(script, [Key("lua")], [5])).AsInteger()); // EVALSHA hits the cache
        Assert.Equal(RespValue.Array([RespValue.Integer(1), RespValue.BulkString("two")]), await _client.EvalAsync("return {1, 'two'}"));

        var error = await Assert.ThrowsAsync<RedisServerException>(() => _client.EvalAsync("return redis.call('NOSUCHCOMMAND')"));
        Assert.Contains("Unknown Redis command", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ErrorReplyIsRedisServerExceptionAndTheClientCarriesOn()
    {
        await _client.SetAsync(Key("s"), "v");
        var wrongType = await Assert.ThrowsAsync<RedisServerException>(() => _client.HashGetAllAsync(Key("s")));
        Assert.Equal("WRONGTYPE", wrongType.ErrorCode);
        var unknown = await Assert.ThrowsAsync<RedisServerException>(() => _client.ExecuteAsync("NOSUCHCMD", ["x"]));
        Assert.Contains("unknown command", unknown.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("v", await _client.GetStringAsync(Key("s")));
        Assert.True(_client.IsConnected);
    }

    [Fact]
    public async Task ThousandConcurrentPipelinedCommandsGetTheirOwnAnswers()
    {
        // 1,000 writers then 1,000 readers from many threads at once, none awaited before all are issued.
        var sets = Enumerable.Range(0, 1000).Select(i => Task.Run(() => _client.SetAsync(Key($"p{i}"), $"v{i}"))).ToArray();
        await Task.WhenAll(sets);
        var gets = Enumerable.Range(0, 1000).Select(i => Task.Run(() => _client.GetStringAsync(Key($"p{i}")))).ToArray();
        var values = await Task.WhenAll(gets);
        for (var i = 0; i < values.Length; i++) Assert.Equal($"v{i}", values[i]);

        // Issued in order by one caller without awaiting: executed in that order.
        var increments = Enumerable.Range(0, 1000).Select(_ => _client.IncrementAsync(Key("ordered"))).ToArray();
        var counts = await Task.WhenAll(increments);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), counts);
    }
}
