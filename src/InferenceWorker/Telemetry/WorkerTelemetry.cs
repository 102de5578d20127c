using System.Diagnostics;
using System.Diagnostics.Metrics;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.InferenceWorker.Hosting;
using SplitCompute.Model.Forward;
using SplitCompute.Telemetry;

namespace SplitCompute.InferenceWorker.Telemetry;

/// <summary>
/// The worker's instruments (meter <see cref="TelemetryNames.Worker"/>): requests and batch sizes, queue and in-flight gauges,
/// the measured time per layer that the planner also reads from the heartbeat, device memory, and shard traffic.
/// Every measurement carries <c>worker</c>, <c>device</c> and <c>model</c>: meter tags would reach OTLP only as scope attributes,
/// which the collector's Prometheus exporter does not turn into labels, so per-worker panels could not group by them.
/// </summary>
public sealed class WorkerTelemetry : IDisposable
{
    public static readonly ActivitySource Source = new(TelemetryNames.Worker);

    private static readonly double[] MsBuckets = [0.1, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000];

    private readonly Meter _meter;
    private readonly TagList _identity;  // worker, device, model: copied (a struct, no allocation) into every measurement
    private readonly Counter<long> _requests;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _requestMs;
    private readonly Counter<double> _busyMs;
    private readonly Counter<double> _fullMs;
    private readonly Counter<long> _shardBytes;
    private readonly Counter<long> _shardRequests;

    public WorkerTelemetry(IMeterFactory meters, WorkerStats stats, ModelHost model, WorkerIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(identity);
        _identity = new TagList { { "worker", identity.WorkerId }, { "device", model.Backend.Name }, { "model", model.ModelId } };
        _meter = meters.Create(TelemetryNames.Worker);
        _requests = _meter.CreateCounter<long>("splitcompute.worker.requests", "{request}", "Head requests run, by mode (head: k < n; full: k = n)");
        _batchSize = _meter.CreateHistogram("splitcompute.worker.batch_size", "{sequence}", "Sequences per executed batch",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });
        _requestMs = _meter.CreateHistogram("splitcompute.worker.request_ms", "ms", "Time per request, by stage (queue, compute)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MsBuckets });
        _busyMs = _meter.CreateCounter<double>("splitcompute.worker.busy_ms", "ms",
            "Device time attributed to requests (their share of each pass), by mode; realised savings = full_ms - busy_ms");
        _fullMs = _meter.CreateCounter<double>("splitcompute.worker.full_ms", "ms",
            "What the same requests would have cost through all N layers (the worker's estimate from its measured ms per layer-row), by mode");
        _shardBytes = _meter.CreateCounter<long>("splitcompute.worker.shard_bytes", "By", "Shard body bytes sent (200 and 206 GETs; a HEAD or a 304 sends none)");
        _shardRequests = _meter.CreateCounter<long>("splitcompute.worker.shard_requests", "{request}", "Shard requests, by kind (full, range, not_modified, head, missing)");
        _meter.CreateObservableGauge("splitcompute.worker.queue_depth", () => new Measurement<int>(stats.QueueDepth, _identity), "{request}",
            "Requests waiting for a compute slot");
        _meter.CreateObservableGauge("splitcompute.worker.in_flight", () => new Measurement<int>(stats.InFlight, _identity), "{request}", "Requests being computed");
        _meter.CreateObservableGauge("splitcompute.worker.layer_token_ms", () => new Measurement<double>(stats.MsPerLayerRow, _identity), "ms",
            "Measured time per layer per token (EWMA), as in the heartbeat");
        _meter.CreateObservableGauge("splitcompute.worker.device_memory_bytes", () => new Measurement<long>(model.Backend is IDeviceMemoryReport report
            ? report.DeviceMemoryBytes : Environment.WorkingSet, _identity), "By", "Device memory in use (CUDA: in use on the GPU, cuMemGetInfo; CPU: the process working set)");
    }

    public void RequestDone(int k, int n, int sequences, HeadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var mode = With("mode", k == n ? "full" : "head");
        _requests.Add(1, mode);
        _busyMs.Add(result.BusyMs, mode);
        _fullMs.Add(result.FullMs, mode);
        _batchSize.Record(sequences, _identity);
        _requestMs.Record(result.QueueMs, With("stage", "queue"));
        _requestMs.Record(result.ComputeMs, With("stage", "compute"));
    }

    public void ShardRequest(string kind, long bytes)
    {
        _shardRequests.Add(1, With("kind", kind));
        if (bytes > 0) _shardBytes.Add(bytes, _identity);
    }

    /// <summary>The identity tags plus one more.</summary>
    private TagList With(string key, string value)
    {
        var tags = _identity;
        tags.Add(key, value);
        return tags;
    }

    public void Dispose() => _meter.Dispose();
}
