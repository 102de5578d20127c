using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Cluster;
using SplitCompute.Protocol.Heartbeats;
using SplitCompute.Protocol.Manifests;
using SplitCompute.RedisConnection;

namespace SplitCompute.Gateway.Workers;

/// <summary>
/// Reads worker heartbeats (and each model revision's shard manifest, once) from Redis every RefreshIntervalMs and publishes an
/// immutable <see cref="WorkerSnapshot"/>. Requests read the snapshot, never Redis. When Redis fails the last known workers stay
/// (marked unhealthy so the planner answers cloud-only), the failure is logged once, and recovery is logged when it returns.
/// A Redis that returns may have restarted empty, and each worker republishes only once its own client has reconnected: so for
/// RedisRecoveryGraceMs after recovery, last-known workers without a heartbeat yet are kept (still cloud-only) rather than
/// dropped, which would answer 503 with every worker alive.
/// </summary>
public sealed partial class WorkerRegistry(RedisConnector redis, IOptions<GatewayOptions> options, TimeProvider time, ILogger<WorkerRegistry> logger,
    ClusterSecret cluster) : BackgroundService
{
    private const int MaxRefusedRemembered = 1_024;
    private readonly HashSet<string> _refused = new(StringComparer.Ordinal);  // keys already warned about, so a rogue one warns once
    private readonly GatewayOptions _options = options.Value;
    private readonly Dictionary<string, ModelProfile> _profiles = new(StringComparer.Ordinal);
    private WorkerSnapshot _snapshot = WorkerSnapshot.Empty;
    private bool _redisDown;
    private long _graceUntilMs;  // unix ms; see the class comment

    public WorkerSnapshot Current => Volatile.Read(ref _snapshot);

    /// <summary>Completes after the first refresh attempt, so a gateway does not answer 503 in its first milliseconds.</summary>
    public Task FirstRefresh => _firstRefresh.Task;

    private readonly TaskCompletionSource _firstRefresh = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.RefreshIntervalMs), time);
        do
        {
            await RefreshAsync(stoppingToken).ConfigureAwait(false);
            _firstRefresh.TrySetResult();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var keys = await redis.ScanAsync(WorkerHeartbeat.KeyPrefix + "*", 256, cancellationToken).ConfigureAwait(false);
            var database = await redis.DatabaseAsync().ConfigureAwait(false);
            var values = keys.Count == 0 ? [] : await database.StringGetAsync([.. keys]).WaitAsync(cancellationToken).ConfigureAwait(false);
            var heartbeats = new List<WorkerHeartbeat>(values.Length);
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i].IsNull) continue;
                if (!cluster.TryOpen(keys[i]!, (string?)values[i], out var json))
                {
                    Refuse(keys[i]!);
                    continue;
                }
                // A heartbeat counts only under its own worker's key (a sealed one copied to another key fails the seal already).
                if (WorkerHeartbeat.TryParse(json) is { } heartbeat && keys[i] == WorkerHeartbeat.KeyPrefix + heartbeat.WorkerId) heartbeats.Add(heartbeat);
            }
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var workers = heartbeats
                .Where(w => now - w.UnixMs <= _options.StaleAfterMs)
                .ToList();
            if (_redisDown) _graceUntilMs = now + _options.RedisRecoveryGraceMs;
            var awaited = now < _graceUntilMs ? Current.Workers.Where(k => workers.All(w => w.WorkerId != k.WorkerId)).ToList() : [];
            if (awaited.Count == 0) _graceUntilMs = 0;  // all back (or the grace is over)
            workers = [.. workers.Concat(awaited).OrderBy(w => w.WorkerId, StringComparer.Ordinal)];
            foreach (var worker in workers) await EnsureProfileAsync(worker, cancellationToken).ConfigureAwait(false);
            var models = workers.Select(w => w.Model).Distinct()
                .Select(m => (m, workers.First(w => w.Model == m)))
                .Where(p => _profiles.ContainsKey(ProfileKey(p.Item2)))
                .ToDictionary(p => p.m, p => _profiles[ProfileKey(p.Item2)], StringComparer.Ordinal);
            Volatile.Write(ref _snapshot, new WorkerSnapshot(workers, models, RedisHealthy: awaited.Count == 0, time.GetUtcNow()));
            if (_redisDown) LogRedisBack(logger, workers.Count);
            _redisDown = false;
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            if (!_redisDown) LogRedisDown(logger, ex.Message, Current.Workers.Count);
            _redisDown = true;
            Volatile.Write(ref _snapshot, Current with { RedisHealthy = false });
        }
    }

    /// <summary>Loads the shard manifest of a (model, revision) the first time a worker reports it.</summary>
    private async Task EnsureProfileAsync(WorkerHeartbeat worker, CancellationToken cancellationToken)
    {
        var key = ProfileKey(worker);
        if (_profiles.ContainsKey(key)) return;
        var database = await redis.DatabaseAsync().ConfigureAwait(false);
        var manifestKey = WorkerHeartbeat.ManifestKey(worker.Model, worker.Revision);
        var stored = (string?)await database.StringGetAsync(manifestKey).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (stored is null) return;  // the worker publishes it with its next heartbeat
        if (!cluster.TryOpen(manifestKey, stored, out var json))
        {
            Refuse(manifestKey);
            return;
        }
        ShardManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ShardManifest>(json);
            manifest?.Validate();
        }
        catch (Exception ex) when (ex is JsonException or Protocol.ProtocolException)
        {
            LogBadManifest(logger, worker.Model, worker.Revision, ex.Message);
            return;
        }
        if (manifest is null || manifest.Shards.Count != manifest.NLayer) return;
        _profiles[key] = new ModelProfile(manifest.Model, manifest.Revision, manifest.NLayer, manifest.NEmbd,
            [.. manifest.Shards.Select(s => s.Sha256)], [.. manifest.Shards.Select(s => s.Bytes)], manifest.FinalNorm?.Sha256, manifest.FinalNorm?.Bytes ?? 0);
    }

    /// <summary>Values not sealed with the cluster secret are ignored; each such key is logged once (and counted by the set's size).</summary>
    private void Refuse(string key)
    {
        if (_refused.Count >= MaxRefusedRemembered || !_refused.Add(key)) return;
        LogUnsealed(logger, key);
    }

    private static string ProfileKey(WorkerHeartbeat worker) => $"{worker.Model}@{worker.Revision}";

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Redis unavailable ({Reason}); serving cloud-only on the {Count} last-known workers until it returns")]
    private static partial void LogRedisDown(ILogger logger, string reason, int count);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Redis reachable again; {Count} live workers")]
    private static partial void LogRedisBack(ILogger logger, int count);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "{Key} in Redis is not sealed with this cluster's secret (Cluster:Secret): ignored. A process that can write to Redis but is not one of our workers wrote it, or a worker runs without the secret")]
    private static partial void LogUnsealed(ILogger logger, string key);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "shard manifest of {Model}@{Revision} in Redis is invalid: {Reason}")]
    private static partial void LogBadManifest(ILogger logger, string model, string revision, string reason);
}
