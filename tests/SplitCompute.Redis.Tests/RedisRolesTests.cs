using SplitCompute.RedisConnection;
using StackExchange.Redis;

namespace SplitCompute.Redis.Tests;

/// <summary>redis-server with the role users `up` and docker compose create (<see cref="RedisRoles"/>), the admin behind a password.</summary>
public sealed class RoleRedisServerFixture : RedisServerFixture
{
    public const string AdminPassword = "admin-secret-for-tests";
    public const string GatewayPassword = "gateway-secret-for-tests";
    public const string WorkerPassword = "worker-secret-for-tests";

    public override RedisSettings ClientSettings => new() { Endpoint = Endpoint, Password = AdminPassword, ClientName = "splitcompute-tests" };

    /// <summary>With a generous reply timeout: these tests are about permissions, not latency, and CI machines are loaded.</summary>
    public RedisConnector ConnectAs(string user, string password) =>
        new(new RedisSettings { Endpoint = Endpoint, User = user, Password = password, CommandTimeout = TimeSpan.FromSeconds(15) });

    protected override IEnumerable<string> ExtraArguments() =>
        new[] { "--requirepass", AdminPassword }.Concat(RedisRoles.AclLines(GatewayPassword, WorkerPassword).SelectMany(line => line.Split(' ') is [_, .. var rest] ? ["--user", .. rest] : Array.Empty<string>()));
}

/// <summary>Each role reaches what it needs and nothing else: a worker cannot read or forge API keys, nobody but the admin can wipe Redis.</summary>
public sealed class RedisRolesTests(RoleRedisServerFixture redis) : IClassFixture<RoleRedisServerFixture>
{
    [Fact]
    public async Task A_worker_writes_heartbeats_and_manifests_but_cannot_touch_keys_or_limits()
    {
        await using var worker = redis.ConnectAs(RedisRoles.WorkerUser, RoleRedisServerFixture.WorkerPassword);
        var database = await worker.DatabaseAsync();
        await database.StringSetAsync("splitcompute:worker:w1", "heartbeat", TimeSpan.FromSeconds(30));
        await database.StringSetAsync("splitcompute:manifest:m@r", "manifest");
        Assert.Equal("heartbeat", (string?)await database.StringGetAsync("splitcompute:worker:w1"));
        foreach (var forbidden in new[] { "splitcompute:apikey:0123456789ab", "splitcompute:limit:rate:0123456789ab", "other:key" })
        {
            var read = await Assert.ThrowsAsync<RedisServerException>(() => database.StringGetAsync(forbidden));
            Assert.Contains("NOPERM", read.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<RedisServerException>(() => database.StringSetAsync(forbidden, "forged"));
        }
    }

    [Fact]
    public async Task The_gateway_runs_its_scripts_on_SplitComputes_keys_but_cannot_wipe_or_reconfigure_Redis()
    {
        await using var gateway = redis.ConnectAs(RedisRoles.GatewayUser, RoleRedisServerFixture.GatewayPassword);
        var database = await gateway.DatabaseAsync();
        var reply = await database.ScriptEvaluateAsync("return redis.call('INCRBY', KEYS[1], ARGV[1])", ["splitcompute:limit:rate:test"], [5]);
        Assert.Equal(5, (long)reply);
        Assert.Contains(await gateway.ScanAsync("splitcompute:limit:*"), k => k == "splitcompute:limit:rate:test");
        // StackExchange.Redis refuses these itself unless admin mode is on: with it on, they reach the server, which says no.
        await using var admin = await ConnectionMultiplexer.ConnectAsync(
            $"{redis.Endpoint},user={RedisRoles.GatewayUser},password={RoleRedisServerFixture.GatewayPassword},allowAdmin=true");
        foreach (var command in new[] { "FLUSHALL", "CONFIG", "KEYS", "SHUTDOWN", "DEBUG" })
        {
            var args = command switch { "CONFIG" => new object[] { "SET", "requirepass", "" }, "KEYS" => ["*"], "DEBUG" => ["SLEEP", "0"], _ => [] };
            var refused = await Assert.ThrowsAsync<RedisServerException>(() => admin.GetDatabase().ExecuteAsync(command, args));
            Assert.Contains("NOPERM", refused.Message, StringComparison.Ordinal);
        }
        await Assert.ThrowsAsync<RedisServerException>(() => database.StringGetAsync("other:key"));
    }

    [Fact]
    public async Task A_role_with_the_wrong_password_is_refused_and_the_error_names_the_authentication()
    {
        // A long connect timeout: on a loaded machine the client must not give up on the connection before the server answers.
        await using var wrong = new RedisConnector(new RedisSettings
        {
            Endpoint = redis.Endpoint, User = RedisRoles.GatewayUser, Password = RoleRedisServerFixture.WorkerPassword,
            ConnectTimeout = TimeSpan.FromSeconds(10), CommandTimeout = TimeSpan.FromSeconds(15),
        });
        var database = await wrong.DatabaseAsync();
        // Every command fails fast; once a connection attempt (they run in the background, retried with backoff) has been
        // refused, the error carries why.
        var messages = new List<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!messages.Any(NamesTheAuthentication) && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var ex = await Assert.ThrowsAsync<RedisConnectionException>(() => database.StringGetAsync("splitcompute:worker:w1"));
            messages.Add(ex.ToString());
            await Task.Delay(100);
        }
        Assert.True(messages.Any(NamesTheAuthentication), $"no error named the authentication failure in {clock.Elapsed}; the last: {messages[^1]}");
        Assert.False(wrong.IsConnected);

        static bool NamesTheAuthentication(string message) => message.Contains("AuthenticationFailure", StringComparison.Ordinal);
    }
}
