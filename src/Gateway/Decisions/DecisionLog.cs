using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Telemetry;
using SplitCompute.RedisConnection;
using StackExchange.Redis;

namespace SplitCompute.Gateway.Decisions;

/// <summary>
/// Appends every decision to the capped Redis stream <see cref="StreamKey"/> from a background loop (requests only enqueue,
/// never wait for Redis), and keeps the latest ones in memory for the gateway's own pages. When Redis is down, decisions are
/// dropped from the stream (counted), never queued without bound.
/// </summary>
public sealed partial class DecisionLog(RedisConnector redis, GatewayTelemetry telemetry, IOptions<GatewayOptions> options, ILogger<DecisionLog> logger) : BackgroundService
{
    public const string StreamKey = "splitcompute:decisions";
    private const int RecentCapacity = 256;
    private const int MaxBatch = 1_024;

    private readonly Channel<SplitDecision> _pending = Channel.CreateBounded<SplitDecision>(
        new BoundedChannelOptions(4_096) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly Queue<SplitDecision> _recent = new();
    private long _dropped;

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Record(SplitDecision decision)
    {
        telemetry.Decision(decision);
        lock (_recent)
        {
            _recent.Enqueue(decision);
            if (_recent.Count > RecentCapacity) _recent.Dequeue();
        }
        _pending.Writer.TryWrite(decision);
    }

    public IReadOnlyList<SplitDecision> Recent()
    {
        lock (_recent) return [.. _recent];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // What queues up within the flush interval is sent as one pipelined batch (one write, one round trip) rather than one
        // XADD per round trip, so under load the log costs Redis and this process a fraction of the wake-ups. The writes carry
        // no cancellation token: the connection times them out itself, and a per-command token costs a timer registration.
        // StackExchange.Redis pipelines the commands issued before the first is awaited.
        var flush = TimeSpan.FromMilliseconds(options.Value.DecisionFlushMs);
        var batch = new List<Task>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            if (flush > TimeSpan.Zero) await Task.Delay(flush, stoppingToken).ConfigureAwait(false);
            IDatabase? database = null;
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var decision))
            {
                database ??= await redis.DatabaseAsync().ConfigureAwait(false);
                batch.Add(database.StreamAddAsync(StreamKey, Fields(decision), maxLength: options.Value.DecisionStreamLength, useApproximateMaxLength: true));
            }
            foreach (var write in batch)
            {
                try
                {
                    await write.ConfigureAwait(false);
                }
                catch (Exception ex) when (RedisFailure.Is(ex))
                {
                    if (Interlocked.Increment(ref _dropped) % 1000 == 1) LogDropped(logger, ex.Message);
                }
            }
            batch.Clear();
        }
    }

    private static NameValueEntry[] Fields(SplitDecision d)
    {
        static RedisValue Number(double value) => Forwarding.DecisionHeaders.Ms(value).ToString(CultureInfo.InvariantCulture);
        return
        [
            new("time", d.Time.ToUnixTimeMilliseconds()),
            new("request", d.RequestId),
            new("decision", d.DecisionId),
            new("model", d.Model),
            new("worker", d.Worker),
            new("k", d.Plan.K),
            new("n", d.Plan.N),
            new("sequences", d.Sequences),
            new("tokens", d.Tokens),
            new("status", d.Status),
            new("predicted_ms", Number(d.Plan.Predicted.TotalMs)),
            new("cloud_only_ms", Number(d.Plan.CloudOnly.TotalMs)),
            new("observed_ms", Number(d.ObservedMs)),
            new("gpu_ms_saved", Number(d.Plan.GpuMsSaved)),
            new("realised_gpu_ms_saved", d.RealisedGpuMsSaved is { } realised ? Number(realised) : ""),
            new("worker_busy_ms", d.WorkerTiming is { } t ? Number(t.BusyMs) : ""),
            new("predicted_queue_ms", Number(d.Plan.Predicted.QueueMs)),
            new("worker_wait_ms", d.WorkerTiming is { } q ? Number(q.WaitMs) : ""),
            new("gpu_weight", Number(d.Plan.GpuWeight)),
            new("reason", d.Plan.Reason),
        ];
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "decision stream not written, Redis unavailable ({Reason})")]
    private static partial void LogDropped(ILogger logger, string reason);
}
