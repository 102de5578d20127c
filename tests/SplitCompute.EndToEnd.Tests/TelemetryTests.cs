using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Telemetry;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// The decision metrics and the trace of one request, read the way any OpenTelemetry reader would (MeterListener,
/// ActivityListener), from a real gateway and worker on loopback.
/// </summary>
public sealed class TelemetryTests(SplitCluster cluster) : IClassFixture<SplitCluster>, IDisposable
{
    private readonly MeasurementRecorder _recorder = new();
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly ActivityListener _traces = new();

    private void Listen()
    {
        _traces.ShouldListenTo = source => source.Name is TelemetryNames.Gateway or TelemetryNames.Worker or TelemetryNames.Edge or "Microsoft.AspNetCore" or "System.Net.Http";
        _traces.Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded;
        _traces.ActivityStopped = _activities.Enqueue;
        ActivitySource.AddActivityListener(_traces);
    }

    [Fact]
    public async Task A_split_decision_is_counted_with_its_k_offloaded_layers_and_predicted_stages()
    {
        Listen();
        using var edge = cluster.NewEdgeClient();
        var result = await edge.EmbedTextsAsync(["Hello telemetry"], SplitPreference.Force(1));
        Assert.Equal(1, result.K);

        var decision = Assert.Single(_recorder.All, m => m.Instrument == "splitcompute.gateway.decisions");
        Assert.Equal("split", decision.Tags["path"]);
        Assert.Equal(SplitCluster.Model, decision.Tags["model"]);
        Assert.Equal(SplitCluster.WorkerId, decision.Tags["worker"]);
        Assert.Equal(1, Assert.Single(_recorder.All, m => m.Instrument == "splitcompute.gateway.split_k").Value);
        Assert.Equal(3, Assert.Single(_recorder.All, m => m.Instrument == "splitcompute.gateway.layers_offloaded").Value);
        Assert.Equal(4, Assert.Single(_recorder.All, m => m.Instrument == "splitcompute.gateway.layers_total").Value);
        var saved = Assert.Single(_recorder.Of("splitcompute.gateway.gpu_saved_ms"));
        Assert.True(saved.Value > 0, $"a split that offloads 3 layers saved {saved.Value} GPU-ms");
        Assert.Equal(SplitCluster.Model, saved.Tag("model"));
        var stages = _recorder.All.Where(m => m.Instrument == "splitcompute.gateway.predicted_ms").Select(m => (string)m.Tags["stage"]!).ToHashSet();
        Assert.Equal(["queue", "cloud", "transfer", "download", "edge", "total"], stages);
        // The worker's identity is on the measurement itself (not only the meter): Prometheus labels come from these tags.
        var head = Assert.Single(_recorder.Of("splitcompute.worker.requests"), m => m.Tag("mode") == "head");
        Assert.Equal(SplitCluster.WorkerId, head.Tag("worker"));
        Assert.Equal(SplitCluster.Model, head.Tag("model"));
        Assert.Equal("cpu", head.Tag("device"));
        // The tail's shards were fetched through the gateway and counted there and at the worker.
        Assert.Contains(_recorder.All, m => m.Instrument == "splitcompute.gateway.shard_bytes" && m.Value > 0);
        Assert.Contains(_recorder.All, m => m.Instrument == "splitcompute.worker.shard_bytes" && m.Value > 0);
    }

    [Fact]
    public async Task A_cloud_only_answer_is_counted_as_such_with_nothing_offloaded()
    {
        Listen();
        using var edge = cluster.NewEdgeClient();
        await edge.EmbedTextsAsync(["Hello cloud"], SplitPreference.None);
        var decision = Assert.Single(_recorder.All, m => m.Instrument == "splitcompute.gateway.decisions");
        Assert.Equal("cloud", decision.Tags["path"]);
        Assert.Equal(0, Assert.Single(_recorder.All, m => m.Instrument == "splitcompute.gateway.layers_offloaded").Value);
        Assert.DoesNotContain(_recorder.All, m => m.Instrument == "splitcompute.gateway.gpu_saved_ms");
    }

    [Fact]
    public async Task An_edge_that_falls_back_is_counted_under_outcome_fallback()
    {
        Listen();
        using var edge = cluster.NewEdgeClient(handler: new ShardOutageHandler());
        var result = await edge.EmbedTextsAsync(["Hello fallback"], SplitPreference.Force(1));
        Assert.True(result.FellBack, "the edge ran its tail without shards");
        Assert.Equal("accepted", result.Feedback);

        var report = Assert.Single(_recorder.Of("splitcompute.gateway.edge_reports"));
        Assert.Equal("fallback", report.Tag("outcome"));
        Assert.Equal(1, report.Value);
        Assert.All(_recorder.Of("splitcompute.gateway.edge_stage_ms"), m => Assert.Equal("fallback", m.Tag("outcome")));
    }

    [Fact]
    public async Task The_worker_load_instruments_report_values_tagged_with_the_worker_after_a_request()
    {
        Listen();
        using var edge = cluster.NewEdgeClient();
        await edge.EmbedTextsAsync(["Hello worker", "and a second sequence"], SplitPreference.Force(2));
        _recorder.ObserveGauges();

        var batch = Assert.Single(_recorder.Of("splitcompute.worker.batch_size"));
        Assert.Equal(2, batch.Value);
        Assert.Equal(0, Worker("splitcompute.worker.queue_depth").Value);  // nothing waits once the request is answered
        Assert.True(Worker("splitcompute.worker.layer_token_ms").Value > 0, "no measured time per layer-token");
        Assert.True(Worker("splitcompute.worker.device_memory_bytes").Value > 0, "no device memory in use");
        foreach (var m in _recorder.All.Where(m => m.Meter == TelemetryNames.Worker))
        {
            Assert.Equal(SplitCluster.WorkerId, m.Tag("worker"));
            Assert.Equal("cpu", m.Tag("device"));
            Assert.Equal(SplitCluster.Model, m.Tag("model"));
        }
    }

    [Fact]
    public async Task A_shard_revalidated_or_asked_with_HEAD_counts_no_bytes_at_the_worker()
    {
        var shard = cluster.Workers[0].Services.GetRequiredService<ModelHost>().Manifest!.Shards[0];
        using var http = new HttpClient { BaseAddress = new Uri(SplitCluster.Address(cluster.Workers[0])) };
        Listen();

        using (var revalidate = new HttpRequestMessage(HttpMethod.Get, shard.Url))
        {
            revalidate.Headers.TryAddWithoutValidation("If-None-Match", $"\"{shard.Sha256}\"");
            using var notModified = await http.SendAsync(revalidate);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }
        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, shard.Url)))
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.DoesNotContain(_recorder.All, m => m.Instrument == "splitcompute.worker.shard_bytes");
        Assert.Equal(["not_modified", "head"], _recorder.Of("splitcompute.worker.shard_requests").Select(m => m.Tag("kind")));

        using (var range = new HttpRequestMessage(HttpMethod.Get, shard.Url))
        {
            range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 99);
            using var partial = await http.SendAsync(range);
            Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        }
        Assert.Equal(100, Assert.Single(_recorder.Of("splitcompute.worker.shard_bytes")).Value);  // what a range sent, not the file
    }

    [Fact]
    public async Task One_trace_follows_a_request_from_the_gateway_through_yarp_to_the_worker()
    {
        Listen();
        using var edge = cluster.NewEdgeClient();
        await edge.EmbedTextsAsync(["Hello trace"], SplitPreference.Force(2));

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
        var result = await edge.EmbedTextsAsync(["Hello feedback"], SplitPreference.Force(1));
        Assert.NotNull(result.Feedback);

        var report = Assert.Single(_recorder.All, m => m.Instrument == "splitcompute.gateway.edge_reports");
        Assert.Equal("ok", report.Tags["outcome"]);
        var stages = _recorder.All.Where(m => m.Instrument == "splitcompute.gateway.edge_stage_ms").ToDictionary(m => (string)m.Tags["stage"]!, m => m.Value);
        Assert.Equal(["request", "download", "edge", "total"], stages.Keys);
        Assert.Equal(result.Timings.EdgeMs, stages["edge"], 3);

        var activities = _activities.ToList();
        var gatewayRequest = Assert.Single(activities, a => a.Source.Name == "Microsoft.AspNetCore" && a.GetTagItem("splitcompute.k") is not null);
        var edgeSpan = Assert.Single(activities, a => a.OperationName == "splitcompute.edge");
        Assert.Equal(gatewayRequest.TraceId, edgeSpan.TraceId);
        Assert.Equal(gatewayRequest.SpanId, edgeSpan.ParentSpanId);
        var layers = Assert.Single(activities, a => a.OperationName == "splitcompute.edge.layers");
        Assert.Equal(edgeSpan.SpanId, layers.ParentSpanId);
        // Span times are whole ticks (0.1 us) from a rounded offset: equal to within 0.01 ms (rounding to 1 decimal flipped 3.1499 / 3.1503).
        Assert.InRange(Math.Abs(result.Timings.EdgeMs - layers.Duration.TotalMilliseconds), 0, 0.01);
    }

    [Fact]
    public async Task The_edge_request_starts_the_trace_and_counts_its_path_and_stages()
    {
        Assert.Equal(TelemetryNames.Edge, SplitCompute.EdgeRuntime.Telemetry.EdgeTelemetry.Name);
        Listen();
        using var edge = cluster.NewEdgeClient();
        var result = await edge.EmbedTextsAsync(["Hello edge span"], SplitPreference.Force(2));

        var request = Assert.Single(_recorder.All, m => m.Instrument == "splitcompute.edge.requests");
        Assert.Equal("split", request.Tags["path"]);
        Assert.Equal(result.Timings.EdgeMs, _recorder.All.Single(m => m.Instrument == "splitcompute.edge.stage_ms" && (string?)m.Tags["stage"] == "edge").Value, 3);
        Assert.Contains(_recorder.All, m => m.Instrument == "splitcompute.edge.shard_bytes_downloaded" && m.Value > 0);

        var activities = _activities.ToList();
        var edgeSpan = Assert.Single(activities, a => a.OperationName == "splitcompute.edge.embed");
        var gatewayRequest = Assert.Single(activities, a => a.Source.Name == "Microsoft.AspNetCore" && a.GetTagItem("splitcompute.k") is not null);
        Assert.Equal(edgeSpan.TraceId, gatewayRequest.TraceId);  // the edge's W3C headers carried the trace into the gateway
        Assert.Equal("split", edgeSpan.GetTagItem("splitcompute.path"));
    }

    private MeasurementRecorder.Measurement Worker(string instrument) =>
        Assert.Single(_recorder.Of(instrument), m => m.Tag("worker") == SplitCluster.WorkerId);

    public void Dispose()
    {
        _recorder.Dispose();
        _traces.Dispose();
    }
}
