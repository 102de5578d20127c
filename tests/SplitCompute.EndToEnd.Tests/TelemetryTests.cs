using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Telemetry;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// The decision metrics and the trace of one request, read the way any OpenTelemetry reader would (MeterListener,
/// ActivityListener), from a real gateway and worker on loopback.
/// </summary>
public sealed class TelemetryTests(SplitCluster cluster) : IClassFixture<SplitCluster>, IDisposable
{
    private static readonly string[] OurMeters = [TelemetryNames.Gateway, TelemetryNames.Worker, TelemetryNames.Edge];

    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _traces = new();

    private void Listen()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (OurMeters.Contains(instrument.Meter.Name)) listener.EnableMeasurementEvents(instrument);
        };
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _meters.Start();
        _traces.ShouldListenTo = source => source.Name is TelemetryNames.Gateway or TelemetryNames.Worker or TelemetryNames.Edge or "Microsoft.AspNetCore" or "System.Net.Http";
        _traces.Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded;
        _traces.ActivityStopped = _activities.Enqueue;
        ActivitySource.AddActivityListener(_traces);
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var all = new Dictionary<string, object?>();
        foreach (var tag in tags) all[tag.Key] = tag.Value;
        foreach (var tag in instrument.Meter.Tags ?? []) all[tag.Key] = tag.Value;
        _measurements.Enqueue((instrument.Name, value, all));
    }

    [Fact]
    public async Task A_split_decision_is_counted_with_its_k_offloaded_layers_and_predicted_stages()
    {
        Listen();
        using var edge = cluster.NewEdgeClient();
        var result = await edge.EmbedTextsAsync(["Hello telemetry"], EdgeSplit.Force(1));
        Assert.Equal(1, result.K);

        var decision = Assert.Single(_measurements, m => m.Instrument == "splitcompute.gateway.decisions");
        Assert.Equal("split", decision.Tags["path"]);
        Assert.Equal(SplitCluster.Model, decision.Tags["model"]);
        Assert.Equal(SplitCluster.WorkerId, decision.Tags["worker"]);
        Assert.Equal(1, Assert.Single(_measurements, m => m.Instrument == "splitcompute.gateway.split_k").Value);
        Assert.Equal(3, Assert.Single(_measurements, m => m.Instrument == "splitcompute.gateway.layers_offloaded").Value);
        Assert.Equal(4, Assert.Single(_measurements, m => m.Instrument == "splitcompute.gateway.layers_total").Value);
        var stages = _measurements.Where(m => m.Instrument == "splitcompute.gateway.predicted_ms").Select(m => (string)m.Tags["stage"]!).ToHashSet();
        Assert.Equal(["queue", "cloud", "transfer", "download", "edge", "total"], stages);
        Assert.Contains(_measurements, m => m.Instrument == "splitcompute.worker.requests" && (string?)m.Tags["mode"] == "head"
                                            && (string?)m.Tags["worker"] == SplitCluster.WorkerId);
        // The tail's shards were fetched through the gateway and counted there and at the worker.
        Assert.Contains(_measurements, m => m.Instrument == "splitcompute.gateway.shard_bytes" && m.Value > 0);
        Assert.Contains(_measurements, m => m.Instrument == "splitcompute.worker.shard_bytes" && m.Value > 0);
    }

    [Fact]
    public async Task A_cloud_only_answer_is_counted_as_such_with_nothing_offloaded()
    {
        Listen();
        using var edge = cluster.NewEdgeClient();
        await edge.EmbedTextsAsync(["Hello cloud"], EdgeSplit.None);
        var decision = Assert.Single(_measurements, m => m.Instrument == "splitcompute.gateway.decisions");
        Assert.Equal("cloud", decision.Tags["path"]);
        Assert.Equal(0, Assert.Single(_measurements, m => m.Instrument == "splitcompute.gateway.layers_offloaded").Value);
        Assert.DoesNotContain(_measurements, m => m.Instrument == "splitcompute.gateway.gpu_saved_ms");
    }

    [Fact]
    public async Task One_trace_follows_a_request_from_the_gateway_through_yarp_to_the_worker()
    {
        Listen();
        using var edge = cluster.NewEdgeClient();
        await edge.EmbedTextsAsync(["Hello trace"], EdgeSplit.Force(2));

        var activities = _activities.ToList();
        var gatewayRequest = Assert.Single(activities, a => a.Source.Name == "Microsoft.AspNetCore" && a.GetTagItem("splitcompute.k") is not null);
        Assert.Equal(2, gatewayRequest.GetTagItem("splitcompute.k"));
        var head = Assert.Single(activities, a => a.Source.Name == TelemetryNames.Worker && a.TraceId == gatewayRequest.TraceId);
        Assert.Equal("splitcompute.head", head.OperationName);
        Assert.Equal(2, head.GetTagItem("splitcompute.k"));
        // head <- worker request <- YARP's outgoing call <- gateway request: one W3C trace, parent by parent.
        var workerRequest = Assert.Single(activities, a => a.SpanId == head.ParentSpanId);
        var forwarded = Assert.Single(activities, a => a.SpanId == workerRequest.ParentSpanId);
        Assert.Equal("System.Net.Http", forwarded.Source.Name);
        Assert.Equal(gatewayRequest.SpanId, forwarded.ParentSpanId);
    }

    [Fact]
    public async Task The_edge_feedback_is_counted_and_its_stages_join_the_request_trace()
    {
        Listen();
        using var edge = cluster.NewEdgeClient();
        var result = await edge.EmbedTextsAsync(["Hello feedback"], EdgeSplit.Force(1));
        Assert.NotNull(result.Feedback);

        var report = Assert.Single(_measurements, m => m.Instrument == "splitcompute.gateway.edge_reports");
        Assert.Equal("ok", report.Tags["outcome"]);
        var stages = _measurements.Where(m => m.Instrument == "splitcompute.gateway.edge_stage_ms").ToDictionary(m => (string)m.Tags["stage"]!, m => m.Value);
        Assert.Equal(["request", "download", "edge", "total"], stages.Keys);
        Assert.Equal(result.Timings.EdgeMs, stages["edge"], 3);

        var activities = _activities.ToList();
        var gatewayRequest = Assert.Single(activities, a => a.Source.Name == "Microsoft.AspNetCore" && a.GetTagItem("splitcompute.k") is not null);
        var edgeSpan = Assert.Single(activities, a => a.OperationName == "splitcompute.edge");
        Assert.Equal(gatewayRequest.TraceId, edgeSpan.TraceId);
        Assert.Equal(gatewayRequest.SpanId, edgeSpan.ParentSpanId);
        var layers = Assert.Single(activities, a => a.OperationName == "splitcompute.edge.layers");
        Assert.Equal(edgeSpan.SpanId, layers.ParentSpanId);
        Assert.Equal(result.Timings.EdgeMs, layers.Duration.TotalMilliseconds, 1);
    }

    [Fact]
    public async Task The_edge_request_starts_the_trace_and_counts_its_path_and_stages()
    {
        Assert.Equal(TelemetryNames.Edge, SplitCompute.EdgeRuntime.Telemetry.EdgeTelemetry.Name);
        Listen();
        using var edge = cluster.NewEdgeClient();
        var result = await edge.EmbedTextsAsync(["Hello edge span"], EdgeSplit.Force(2));

        var request = Assert.Single(_measurements, m => m.Instrument == "splitcompute.edge.requests");
        Assert.Equal("split", request.Tags["path"]);
        Assert.Equal(result.Timings.EdgeMs, _measurements.Single(m => m.Instrument == "splitcompute.edge.stage_ms" && (string?)m.Tags["stage"] == "edge").Value, 3);
        Assert.Contains(_measurements, m => m.Instrument == "splitcompute.edge.shard_bytes_downloaded" && m.Value > 0);

        var activities = _activities.ToList();
        var edgeSpan = Assert.Single(activities, a => a.OperationName == "splitcompute.edge.embed");
        var gatewayRequest = Assert.Single(activities, a => a.Source.Name == "Microsoft.AspNetCore" && a.GetTagItem("splitcompute.k") is not null);
        Assert.Equal(edgeSpan.TraceId, gatewayRequest.TraceId);  // the edge's W3C headers carried the trace into the gateway
        Assert.Equal("split", edgeSpan.GetTagItem("splitcompute.path"));
    }

    public void Dispose()
    {
        _meters.Dispose();
        _traces.Dispose();
    }
}
