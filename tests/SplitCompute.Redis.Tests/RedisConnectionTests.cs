using System.Net;
using System.Net.Sockets;
using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis.Tests;

/// <summary>The connection's own behaviour, against a scripted loopback server: ordering, timeouts, failures, handshake.</summary>
public sealed class RedisConnectionTests
{
    private static RedisOptions Options(string endpoint, int timeoutMs = 10_000) => new()  // generous unless a test is about timeouts: CI runs test assemblies in parallel on 2 cores
    {
        Endpoint = endpoint,
        CommandTimeout = TimeSpan.FromMilliseconds(timeoutMs),
        InitialReconnectDelay = TimeSpan.FromMilliseconds(20),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
    };

    [Fact]
    public async Task PipelinesCommandsAndMatchesRepliesInOrder()
    {
        await using var server = new FakeRedisServer();
        await using var client = new RedisConnection(Options(server.Endpoint));

        var tasks = Enumerable.Range(0, 50).Select(i => client.ExecuteAsync("ECHO", [$"m{i}"])).ToArray();
        var fake = await server.NextClientAsync();
        // All 50 arrive before any reply is sent: they are pipelined, not sent one round trip at a time.
        var commands = await fake.ReadCommandsAsync(50);
        Assert.All(tasks, t => Assert.False(t.IsCompleted));
        await fake.ReplyAsync([.. commands.Select(c => RespValue.BulkString(c[1]))]);

        // Sent in the order they were issued (the first ones waited for the connection) and each caller got its own reply.
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m{i}"), commands.Select(c => c[1]));
        for (var i = 0; i < tasks.Length; i++) Assert.Equal($"m{i}", (await tasks[i]).AsString());
        Assert.Equal(1, server.ConnectionCount);
    }

    [Fact]
    public async Task RepliesSplitAcrossPacketsAreReassembled()
    {
        await using var server = new FakeRedisServer();
        await using var client = new RedisConnection(Options(server.Endpoint));
        var get = client.GetAsync("k");
        var fake = await server.NextClientAsync();
        Assert.Equal(["GET", "k"], await fake.NextCommandAsync());
        await fake.ReplyRawAsync("$11\r\nhel");
        await Task.Delay(50);
        Assert.False(get.IsCompleted);
        await fake.ReplyRawAsync("lo world\r\n");
        Assert.Equal("hello world", System.Text.Encoding.UTF8.GetString((await get)!));
    }

    [Fact]
    public async Task TimeoutFailsTheCommandClosesTheConnectionAndTheNextCommandReconnects()
    {
        await using var server = new FakeRedisServer();
        await using var client = new RedisConnection(Options(server.Endpoint, timeoutMs: 100));

        var slow = client.ExecuteAsync("GET", ["slow"]);
        var fake = await server.NextClientAsync();
        Assert.Equal(["GET", "slow"], await fake.NextCommandAsync());
        var behind = client.ExecuteAsync("GET", ["behind"]); // pipelined behind the one that will time out

        var timeout = await Assert.ThrowsAsync<RedisTimeoutException>(() => slow);
        Assert.Equal("GET", timeout.Command);
        Assert.Contains(server.Endpoint, timeout.Message, StringComparison.Ordinal);
        // The one behind cannot get its reply either (RESP has no ids): it fails too, as a timeout or a disconnect.
        await Assert.ThrowsAnyAsync<RedisException>(() => behind);
        Assert.True(await fake.WasClosedByClientAsync(), "the timed-out connection must be closed");

        // A late reply on the old connection must not reach anyone; a new connection serves the next command.
        var next = client.ExecuteAsync("GET", ["next"]);
        var second = await server.NextClientAsync();
        Assert.Equal(["GET", "next"], await second.NextCommandAsync());
        await second.ReplyAsync(RespValue.BulkString("fresh"));
        Assert.Equal("fresh", (await next).AsString());
    }

    [Fact]
    public async Task DisconnectFailsEveryPendingCommandNamingTheEndpoint()
    {
        await using var server = new FakeRedisServer();
        await using var client = new RedisConnection(Options(server.Endpoint));

        var tasks = Enumerable.Range(0, 3).Select(i => client.ExecuteAsync("INCR", [$"k{i}"])).ToArray();
        var fake = await server.NextClientAsync();
        await fake.ReadCommandsAsync(3);
        await fake.ReplyAsync(RespValue.Integer(1)); // only the first is answered
        fake.Dispose();

        Assert.Equal(1, (await tasks[0]).AsInteger());
        foreach (var task in tasks[1..])
        {
            var error = await Assert.ThrowsAsync<RedisConnectionException>(() => task);
            Assert.Equal(server.Endpoint, error.Endpoint);
            Assert.Contains(server.Endpoint, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ReconnectsInTheBackgroundAfterTheConnectionDrops()
    {
        await using var server = new FakeRedisServer();
        await using var client = await ConnectAsync(server);
        Assert.True(client.IsConnected);

        (await server.NextClientAsync()).Dispose();
        // Without any command being sent, the client notices and connects again.
        var second = await server.NextClientAsync();
        await Eventually(() => client.IsConnected);
        var ping = client.PingAsync();
        Assert.Equal(["PING"], await second.NextCommandAsync());
        await second.ReplyAsync(RespValue.SimpleString("PONG"));
        await ping;
    }

    [Fact]
    public async Task ErrorReplyIsRedisServerExceptionAndTheConnectionStaysUp()
    {
        await using var server = new FakeRedisServer();
        await using var client = new RedisConnection(Options(server.Endpoint));
        var bad = client.ExecuteAsync("LPUSH", ["str", "x"]);
        var good = client.ExecuteAsync("GET", ["str"]);
        var fake = await server.NextClientAsync();
        await fake.ReadCommandsAsync(2);
        await fake.ReplyAsync(RespValue.Error("WRONGTYPE Operation against a key holding the wrong kind of value"), RespValue.BulkString("v"));

        var error = await Assert.ThrowsAsync<RedisServerException>(() => bad);
        Assert.Equal("WRONGTYPE", error.ErrorCode);
        Assert.StartsWith("WRONGTYPE Operation", error.Message, StringComparison.Ordinal);
        Assert.Equal("v", (await good).AsString());
        Assert.True(client.IsConnected);
        Assert.Equal(1, server.ConnectionCount);
    }

    [Fact]
    public async Task GarbageFromTheServerFailsPendingCommandsWithTheProtocolError()
    {
        await using var server = new FakeRedisServer();
        await using var client = new RedisConnection(Options(server.Endpoint));
        var command = client.ExecuteAsync("GET", ["k"]);
        var fake = await server.NextClientAsync();
        await fake.NextCommandAsync();
        await fake.ReplyRawAsync("HTTP/1.1 400 Bad Request\r\n");

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => command);
        Assert.IsType<RespProtocolException>(error.InnerException);
        Assert.Contains("invalid reply", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnsolicitedReplyIsAProtocolError()
    {
        await using var server = new FakeRedisServer();
        await using var client = await ConnectAsync(server);
        var fake = await server.NextClientAsync();
        await fake.ReplyAsync(RespValue.SimpleString("OK")); // nothing was asked
        Assert.True(await fake.WasClosedByClientAsync());
    }

    [Fact]
    public async Task AuthSelectAndClientNameAreSentOnEveryConnectBeforeAnyCommand()
    {
        await using var server = new FakeRedisServer();
        await using var client = new RedisConnection(Options(server.Endpoint) with { User = "worker", Password = "s3cret", Database = 3, ClientName = "edge-1" });

        for (var round = 0; round < 2; round++)
        {
            var set = client.SetAsync("k", "v");
            var fake = await server.NextClientAsync();
            Assert.Equal(["AUTH", "worker", "s3cret"], await fake.NextCommandAsync());
            await fake.ReplyAsync(RespValue.SimpleString("OK"));
            Assert.Equal(["SELECT", "3"], await fake.NextCommandAsync());
            await fake.ReplyAsync(RespValue.SimpleString("OK"));
            Assert.Equal(["CLIENT", "SETNAME", "edge-1"], await fake.NextCommandAsync());
            await fake.ReplyAsync(RespValue.SimpleString("OK"));
            Assert.Equal(["SET", "k", "v"], await fake.NextCommandAsync());
            await fake.ReplyAsync(RespValue.SimpleString("OK"));
            await set;
            fake.Dispose(); // the next round must authenticate again
            await Eventually(() => !client.IsConnected || server.ConnectionCount > round + 1);
        }
    }

    [Fact]
    public async Task RejectedAuthIsAConnectionFailureCarryingTheServerMessage()
    {
        await using var server = new FakeRedisServer();
        await using var client = new RedisConnection(Options(server.Endpoint) with { Password = "wrong" });
        var ping = client.PingAsync();
        var fake = await server.NextClientAsync();
        await fake.NextCommandAsync();
        await fake.ReplyAsync(RespValue.Error("WRONGPASS invalid username-password pair or user is disabled."));
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => ping);
        Assert.Contains("WRONGPASS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedConnectionFailsFastThenBacksOff()
    {
        var endpoint = $"127.0.0.1:{UnusedPort()}";
        await using var client = new RedisConnection(Options(endpoint) with { InitialReconnectDelay = TimeSpan.FromSeconds(5), MaxReconnectDelay = TimeSpan.FromSeconds(5) });
        var first = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync());
        Assert.Contains(endpoint, first.Message, StringComparison.Ordinal);
        Assert.Contains("could not connect", first.Message, StringComparison.Ordinal);
        // Within the backoff no new attempt is made: the command fails at once, saying when the next attempt is.
        var second = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync());
        Assert.Contains("next attempt in", second.Message, StringComparison.Ordinal);
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<RedisConnectionException>(() => RedisConnection.ConnectAsync(Options(endpoint)));
    }

    [Fact]
    public async Task CancellingAWaitLeavesTheConnectionUsable()
    {
        await using var server = new FakeRedisServer();
        await using var client = new RedisConnection(Options(server.Endpoint));
        using var cancel = new CancellationTokenSource();
        var first = client.ExecuteAsync("GET", ["a"], cancel.Token);
        var fake = await server.NextClientAsync();
        await fake.NextCommandAsync();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExecuteAsync("GET", ["b"], cancel.Token));

        var second = client.ExecuteAsync("GET", ["c"]);
        Assert.Equal(["GET", "c"], await fake.NextCommandAsync()); // "b" was never sent
        await fake.ReplyAsync(RespValue.BulkString("for a"), RespValue.BulkString("for c")); // the late reply to "a" is discarded in order
        Assert.Equal("for c", (await second).AsString());
    }

    [Fact]
    public async Task DisposeFailsPendingCommandsAndRefusesNewOnes()
    {
        await using var server = new FakeRedisServer();
        var client = new RedisConnection(Options(server.Endpoint));
        var pending = client.ExecuteAsync("GET", ["k"]);
        var fake = await server.NextClientAsync();
        await fake.NextCommandAsync();
        await client.DisposeAsync();
        await Assert.ThrowsAsync<RedisConnectionException>(() => pending);
        Assert.Throws<ObjectDisposedException>(() => { _ = client.ExecuteAsync("PING", []); });
        Assert.True(await fake.WasClosedByClientAsync());
    }

    private static async Task<RedisConnection> ConnectAsync(FakeRedisServer server) =>
        await RedisConnection.ConnectAsync(Options(server.Endpoint));

    private static int UnusedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    internal static async Task Eventually(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) Assert.Fail("condition not met in time");
            await Task.Delay(10);
        }
    }
}
