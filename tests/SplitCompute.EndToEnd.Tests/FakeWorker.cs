using SplitCompute.Protocol.Heartbeats;
using SplitCompute.RedisConnection;
using StackExchange.Redis;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// A heartbeat in the cluster's Redis for a worker that is not really there (or is a <see cref="StubServer"/>): a copy of the
/// real worker's, same model and revision, idle, at <c>address</c>, refreshed every 100 ms so it stays fresh. Its id sorts
/// before the real worker's, so with equal (zero) backlog the gateway picks it first. Disposing removes it from the gateway.
/// </summary>
internal sealed class FakeWorker : IAsyncDisposable
{
    private readonly SplitCluster _cluster;
    private readonly RedisConnector _connector;
    private readonly IDatabase _redis;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private FakeWorker(SplitCluster cluster, RedisConnector connector, IDatabase redis, WorkerHeartbeat heartbeat)
    {
        _cluster = cluster;
        _connector = connector;
        _redis = redis;
        Id = heartbeat.WorkerId;
        _loop = PublishAsync(heartbeat);
    }

    public string Id { get; }

    private string Key => WorkerHeartbeat.KeyPrefix + Id;

    /// <param name="edit">Changes to the copied heartbeat (e.g. another tokenizer).</param>
    public static async Task<FakeWorker> StartAsync(SplitCluster cluster, string id, string address, Func<WorkerHeartbeat, WorkerHeartbeat>? edit = null)
    {
        var connector = cluster.Redis.Connect();
        var redis = await connector.DatabaseAsync();
        var real = WorkerHeartbeat.TryParse((string?)await redis.StringGetAsync(WorkerHeartbeat.KeyPrefix + SplitCluster.WorkerId))
                   ?? throw new InvalidOperationException("the real worker has no heartbeat in Redis");
        var copy = real with { WorkerId = id, Address = address, BacklogMs = 0, QueueDepth = 0, InFlight = 0 };
        var fake = new FakeWorker(cluster, connector, redis, edit is null ? copy : edit(copy));
        await SplitCluster.WaitUntilAsync(() => cluster.Registry.Current.Workers.Any(w => w.WorkerId == id), $"the gateway seeing fake worker {id}");
        return fake;
    }

    private async Task PublishAsync(WorkerHeartbeat heartbeat)
    {
        while (!_stop.IsCancellationRequested)
        {
            await _redis.StringSetAsync(Key, (heartbeat with { UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }).ToJson(), TimeSpan.FromSeconds(5));
            try
            {
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await _redis.KeyDeleteAsync(Key);
        await _connector.DisposeAsync();
        _stop.Dispose();
        await SplitCluster.WaitUntilAsync(() => _cluster.Registry.Current.Workers.All(w => w.WorkerId != Id), $"the gateway forgetting fake worker {Id}");
    }
}
