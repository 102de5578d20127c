using SplitCompute.Protocol.Cluster;
using Microsoft.Extensions.Options;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.InferenceWorker.Hosting;
using SplitCompute.Protocol.Heartbeats;
using SplitCompute.RedisConnection;

namespace SplitCompute.InferenceWorker.Heartbeat;

/// <summary>
/// Publishes this worker's <see cref="WorkerHeartbeat"/> to Redis every HeartbeatIntervalMs with a TTL (so a dead worker vanishes
/// by itself), the shard manifest once per connection, and deletes the heartbeat on shutdown. Redis being down is logged and
/// retried; it never stops the worker from serving.
/// </summary>
internal sealed partial class HeartbeatPublisher(
    RedisConnector redis, ModelHost model, WorkerStats stats, WorkerIdentity identity, IOptions<WorkerOptions> options,
    ILogger<HeartbeatPublisher> logger, IHostApplicationLifetime lifetime, WorkerReadiness readiness, ClusterSecret cluster) : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;
    private bool _manifestPublished;
    private long _manifestPublishedAt;  // Environment.TickCount64
    private long _manifestGeneration;   // the connection it was published on (RedisConnector.Generation)
    private bool _redisDown;

    public string Key => WorkerHeartbeat.KeyPrefix + identity.WorkerId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Kestrel's address is known only once the server has started.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        await readiness.WhenReady.WaitAsync(stoppingToken).ConfigureAwait(false);  // no gateway routes to a cold worker
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.HeartbeatIntervalMs));
        do
        {
            await PublishOnceAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public WorkerHeartbeat Snapshot() => new()
    {
        WorkerId = identity.WorkerId,
        Address = identity.Address,
        Model = model.ModelId,
        Revision = model.Revision,
        NLayer = model.Shape.Layers,
        NEmbd = model.Shape.Channels,
        NPositions = model.MaxTokens,
        Family = model.Encoder?.Layout.Config.ModelType ?? "gpt2",
        Pooling = model.DefaultPooling.ToString().ToLowerInvariant(),
        Device = model.Backend.Name,
        DType = model.Embedding.DType,
        Normalize = model.Embedding.Normalize,
        Dimensions = model.Embedding.Dimensions.Count == 0 ? null : model.Embedding.Dimensions,
        Tokenizer = model.Tokenizer?.Fingerprint,
        DeviceName = model.DeviceName,
        QueueDepth = stats.QueueDepth,
        InFlight = stats.InFlight,
        Capacity = _options.Capacity,
        MsPerLayerToken = stats.MsPerLayerRow,
        EmbedMsPerToken = stats.EmbedMsPerToken,
        // With batching one pass runs at a time whatever Capacity says; without, Capacity passes share the device.
        BacklogMs = stats.BacklogMs(_options.Batching ? 1 : _options.Capacity),
        BusyFraction = stats.BusyFraction,
        EmbedsOutsideQueue = model.EmbedsOnHost,
        UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
    };

    private async Task PublishOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_manifestPublished && Environment.TickCount64 - _manifestPublishedAt >= _options.ManifestRepublishSeconds * 1000L) _manifestPublished = false;
            if (_manifestGeneration != redis.Generation) _manifestPublished = false;  // reconnected: Redis may have restarted empty
            if (!_manifestPublished && model.Manifest is not null)  // a model served whole (an encoder, for now) has none: planned cloud-only
            {
                _manifestGeneration = redis.Generation;
                var manifestKey = WorkerHeartbeat.ManifestKey(model.ModelId, model.Revision);
                var manifest = cluster.Seal(manifestKey, System.Text.Json.JsonSerializer.Serialize(model.Manifest));
                await (await redis.DatabaseAsync().ConfigureAwait(false))
                    .StringSetAsync(manifestKey, manifest, TimeSpan.FromDays(7)).WaitAsync(cancellationToken).ConfigureAwait(false);
                _manifestPublished = true;
                _manifestPublishedAt = Environment.TickCount64;
            }
            await (await redis.DatabaseAsync().ConfigureAwait(false))
                .StringSetAsync(Key, cluster.Seal(Key, Snapshot().ToJson()), TimeSpan.FromMilliseconds(_options.HeartbeatTtlMs)).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (_redisDown) LogRedisBack(logger, identity.WorkerId);
            _redisDown = false;
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            if (!_redisDown) LogRedisDown(logger, identity.WorkerId, ex.Message);
            _redisDown = true;
            _manifestPublished = false;  // Redis may come back empty (restarted without persistence)
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await (await redis.DatabaseAsync().ConfigureAwait(false)).KeyDeleteAsync(Key).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            LogRedisDown(logger, identity.WorkerId, ex.Message);
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "worker {WorkerId}: Redis unavailable, heartbeat not published ({Reason}); retrying")]
    private static partial void LogRedisDown(ILogger logger, string workerId, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "worker {WorkerId}: Redis reachable again, heartbeat published")]
    private static partial void LogRedisBack(ILogger logger, string workerId);
}
