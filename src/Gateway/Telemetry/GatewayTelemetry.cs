using System.Diagnostics;
using System.Diagnostics.Metrics;
using SplitCompute.Gateway.Decisions;
using SplitCompute.Gateway.Feedback;
using SplitCompute.Gateway.Workers;
using SplitCompute.Protocol.Feedback;
using SplitCompute.Telemetry;

namespace SplitCompute.Gateway.Telemetry;

/// <summary>
/// The gateway's instruments (meter <see cref="TelemetryNames.Gateway"/>) and its activity source. Everything the Split decisions
/// dashboard shows comes from here: one decision counter and histograms per decision, live worker load as gauges, shard bytes,
/// edge feedback. Tags stay low-cardinality (model, worker, path, stage): never a request id.
/// </summary>
public sealed class GatewayTelemetry : IDisposable
{
    public static readonly ActivitySource Source = new(TelemetryNames.Gateway);

    /// <summary>Histogram buckets for the split point: one per layer up to GPT-2 XL's 48.</summary>
    private static readonly int[] LayerBuckets = [.. Enumerable.Range(0, 49)];

    private static readonly double[] RatioBuckets = [0.25, 0.5, 0.7, 0.8, 0.9, 1.1, 1.25, 1.5, 2, 4, 8];

    private static readonly double[] MsBuckets = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000];

    private readonly Meter _meter;
    private readonly Counter<long> _decisions;
    private readonly Histogram<int> _splitK;
    private readonly Counter<long> _layersOffloaded;
    private readonly Counter<long> _layersTotal;
    private readonly Counter<double> _gpuMsSaved;
    private readonly Counter<double> _gpuMsRealised;
    private readonly Counter<double> _workerBusyMs;
    private readonly Histogram<double> _predictionRatio;
    private readonly Histogram<double> _predictedMs;
    private readonly Histogram<double> _observedMs;
    private readonly Counter<long> _shardBytes;
    private readonly Counter<long> _shardRequests;
    private readonly Counter<long> _edgeReports;
    private readonly Histogram<double> _edgeStageMs;
    private readonly Counter<long> _shed;

    public GatewayTelemetry(IMeterFactory meters, WorkerRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(registry);
        _meter = meters.Create(TelemetryNames.Gateway);
        _decisions = _meter.CreateCounter<long>("splitcompute.gateway.decisions", "{decision}", "Routing decisions, by model, worker and path (split or cloud)");
        _splitK = _meter.CreateHistogram("splitcompute.gateway.split_k", "{layer}", "Split point k of each decision (k = n is cloud-only)",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = LayerBuckets });
        _layersOffloaded = _meter.CreateCounter<long>("splitcompute.gateway.layers_offloaded", "{layer}", "Layers left to the edge (n - k), summed over decisions");
        _layersTotal = _meter.CreateCounter<long>("splitcompute.gateway.layers_total", "{layer}", "Layers of the model (n), summed over decisions");
        _gpuMsSaved = _meter.CreateCounter<double>("splitcompute.gateway.gpu_saved_ms", "ms", "Cloud GPU time the offloaded layers would have taken");
        _gpuMsRealised = _meter.CreateCounter<double>("splitcompute.gateway.gpu_saved_realised_ms", "ms",
            "Cloud GPU time really saved: the worker's cloud-only estimate minus its measured busy time, per request");
        _workerBusyMs = _meter.CreateCounter<double>("splitcompute.gateway.worker_busy_ms", "ms", "Worker device time attributed to requests, as the workers measured it");
        _predictionRatio = _meter.CreateHistogram("splitcompute.gateway.prediction_ratio", "1", "Observed / predicted milliseconds per stage of split requests (1 = exact)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RatioBuckets });
        _predictedMs = _meter.CreateHistogram("splitcompute.gateway.predicted_ms", "ms", "Planner's predicted time per stage of the chosen plan",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MsBuckets });
        _observedMs = _meter.CreateHistogram("splitcompute.gateway.observed_ms", "ms", "Time the gateway spent on a request, by path",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MsBuckets });
        _shardBytes = _meter.CreateCounter<long>("splitcompute.gateway.shard_bytes", "By", "Shard bytes served through the gateway");
        _shardRequests = _meter.CreateCounter<long>("splitcompute.gateway.shard_requests", "{request}", "Shard requests, by status code");
        _edgeReports = _meter.CreateCounter<long>("splitcompute.gateway.edge_reports", "{report}", "Edge feedback reports, by outcome (ok or fallback)");
        _edgeStageMs = _meter.CreateHistogram("splitcompute.gateway.edge_stage_ms", "ms", "Edge-reported time per stage (request, download, edge, total)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MsBuckets });
        _shed = _meter.CreateCounter<long>("splitcompute.gateway.shed_requests", "{request}",
            "Requests refused before authentication: over an address's rate (address_rate) or over the gateway's capacity (capacity)");
        _meter.CreateObservableGauge("splitcompute.gateway.worker_queue_depth", () => registry.Current.Workers.Select(w =>
            new Measurement<int>(w.QueueDepth, new KeyValuePair<string, object?>("worker", w.WorkerId))), "{request}", "Queued requests per worker, from its heartbeat");
        _meter.CreateObservableGauge("splitcompute.gateway.worker_backlog_ms", () => registry.Current.Workers.Select(w =>
            new Measurement<double>(w.BacklogMs, new KeyValuePair<string, object?>("worker", w.WorkerId))), "ms", "Predicted queue wait per worker, from its heartbeat");
        _meter.CreateObservableGauge("splitcompute.gateway.workers", () => registry.Current.Workers.Count, "{worker}", "Live workers in the registry");
    }

    public void Decision(SplitDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var plan = decision.Plan;
        var path = plan.IsCloudOnly ? "cloud" : "split";
        var model = new KeyValuePair<string, object?>("model", decision.Model);
        var pathTag = new KeyValuePair<string, object?>("path", path);
        _decisions.Add(1, model, new KeyValuePair<string, object?>("worker", decision.Worker), pathTag,
            new KeyValuePair<string, object?>("status", decision.Status));
        _splitK.Record(plan.K, model);
        _layersOffloaded.Add(plan.N - plan.K, model);
        _layersTotal.Add(plan.N, model);
        if (plan.GpuMsSaved > 0) _gpuMsSaved.Add(plan.GpuMsSaved, model);
        // Every split the worker timed counts, a zero included (a dashboard then shows a split that realised nothing as such).
        if (!plan.IsCloudOnly && decision.RealisedGpuMsSaved is { } realised) _gpuMsRealised.Add(realised, model);
        if (decision.WorkerTiming is { } timing) _workerBusyMs.Add(timing.BusyMs, model, pathTag);
        var p = plan.Predicted;
        Stage(_predictedMs, "queue", p.QueueMs, pathTag);
        Stage(_predictedMs, "cloud", p.CloudMs, pathTag);
        Stage(_predictedMs, "transfer", p.TransferMs, pathTag);
        Stage(_predictedMs, "download", p.DownloadMs, pathTag);
        Stage(_predictedMs, "edge", p.EdgeMs, pathTag);
        Stage(_predictedMs, "total", p.TotalMs, pathTag);
        _observedMs.Record(decision.ObservedMs, pathTag);
    }

    public void Shed(string reason) => _shed.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void ShardServed(int status, long bytes)
    {
        _shardRequests.Add(1, new KeyValuePair<string, object?>("status", status));
        if (bytes > 0) _shardBytes.Add(bytes);
    }

    /// <summary>
    /// One edge feedback report: counted by outcome, its stages recorded, and (when the decision's request was traced) added to
    /// that trace as a span per stage, placed in time after the decision, so one trace shows gateway, worker and edge.
    /// </summary>
    public void EdgeReport(IssuedDecision decision, EdgeFeedback feedback)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(feedback);
        var outcome = new KeyValuePair<string, object?>("outcome", feedback.FellBack ? "fallback" : "ok");
        _edgeReports.Add(1, outcome);
        Stage(_edgeStageMs, "request", feedback.RequestMs, outcome);
        Stage(_edgeStageMs, "download", feedback.DownloadMs, outcome);
        Stage(_edgeStageMs, "edge", feedback.EdgeMs, outcome);
        Stage(_edgeStageMs, "total", feedback.TotalMs, outcome);
        if (!feedback.FellBack)
        {
            var p = decision.Predicted;
            Ratio("total", feedback.TotalMs, p.TotalMs);
            Ratio("edge", feedback.EdgeMs, p.EdgeMs + p.LoadMs);
            Ratio("download", feedback.DownloadMs, p.DownloadMs);
            Ratio("request", feedback.RequestMs, p.QueueMs + p.CloudMs + p.TransferMs);
            if (decision.WorkerWaitMs is { } wait) Ratio("queue", wait, p.QueueMs);
        }
        if (decision.Trace == default) return;
        var start = decision.IssuedAt;
        using var edge = Source.StartActivity("splitcompute.edge", ActivityKind.Client, decision.Trace, startTime: start);
        if (edge is null) return;  // nobody listens
        edge.SetTag("splitcompute.k", feedback.K).SetTag("splitcompute.n", feedback.N).SetTag("splitcompute.fell_back", feedback.FellBack);
        var offset = start.AddMilliseconds(feedback.RequestMs);
        foreach (var (name, ms) in new[] { ("splitcompute.edge.download", feedback.DownloadMs), ("splitcompute.edge.layers", feedback.EdgeMs) })
        {
            using var stage = Source.StartActivity(name, ActivityKind.Internal, edge.Context, startTime: offset);
            stage?.SetEndTime((offset = offset.AddMilliseconds(ms)).UtcDateTime);
        }
        edge.SetEndTime(start.AddMilliseconds(feedback.TotalMs).UtcDateTime);
    }

    /// <summary>Observed over predicted, for stages where both are large enough to compare (a 0.2 ms stage says nothing).</summary>
    private void Ratio(string stage, double observed, double predicted)
    {
        if (observed < 1 && predicted < 1) return;
        _predictionRatio.Record(observed / Math.Max(predicted, 1e-3), new KeyValuePair<string, object?>("stage", stage));
    }

    private static void Stage(Histogram<double> histogram, string stage, double ms, KeyValuePair<string, object?> tag) =>
        histogram.Record(ms, new KeyValuePair<string, object?>("stage", stage), tag);

    public void Dispose() => _meter.Dispose();
}
