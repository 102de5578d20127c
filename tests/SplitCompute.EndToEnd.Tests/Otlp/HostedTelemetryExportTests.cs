using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.EndToEnd.Tests.Otlp;

/// <summary>
/// The services' hosted OpenTelemetry registration (SplitCompute.Telemetry's AddSplitComputeTelemetry), end to end: a real
/// gateway and worker export our meters, the framework's, their logs and one trace per request to a real OTLP/HTTP receiver.
/// In one process every tracer provider hears every host's "Microsoft.AspNetCore" and "System.Net.Http" activities (sources
/// are matched by name, process-wide), so a framework span may arrive under both services; assertions name the one that owns it.
/// </summary>
public sealed class HostedTelemetryExportTests(OtlpExportingCluster cluster) : IClassFixture<OtlpExportingCluster>
{
    private IEnumerable<WebApplication> Services => [cluster.Gateway, .. cluster.Workers];

    /// <summary>Sends what earlier requests left in the batch processors, then forgets everything received so far.</summary>
    private void StartClean()
    {
        FlushTraces();
        cluster.Receiver.Received.Clear();
    }

    private void FlushTraces()
    {
        foreach (var service in Services)
            Assert.True(service.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000), "a tracer provider did not flush within 10 s");
    }

    [Fact]
    public async Task A_split_request_is_one_trace_from_the_gateway_through_yarp_to_the_worker_with_route_named_server_spans()
    {
        StartClean();
        using (var http = cluster.NewHttpClient())
            (await http.GetAsync(new Uri("/alive", UriKind.Relative))).EnsureSuccessStatusCode();
        using var edge = cluster.NewEdgeClient();
        await edge.EmbedTextsAsync(["Hello OTLP"], SplitPreference.Force(2));
        FlushTraces();

        var spans = cluster.Receiver.Spans();
        var gatewayRequest = Assert.Single(spans,
            s => s.Service == OtlpExportingCluster.GatewayService && s.Scope == "Microsoft.AspNetCore" && s.Attributes.ContainsKey("splitcompute.k"));
        // What the ASP.NET Core instrumentation adds over ASP.NET Core 10's own activity ("Microsoft.AspNetCore.Hosting.HttpRequestIn", no tags).
        Assert.Equal("POST /v1/embeddings", gatewayRequest.Name);
        Assert.Equal("/v1/embeddings", gatewayRequest.Attributes.GetValueOrDefault("http.route"));
        Assert.Equal("200", gatewayRequest.Attributes.GetValueOrDefault("http.response.status_code"));
        Assert.Equal("2", gatewayRequest.Attributes["splitcompute.k"]);

        // head <- worker request <- YARP's outgoing call <- gateway request, parent by parent in one trace.
        var head = Assert.Single(spans, s => s.Service == OtlpExportingCluster.WorkerService && s.Name == "splitcompute.head");
        Assert.Equal(gatewayRequest.TraceId, head.TraceId);
        Assert.Equal("2", head.Attributes.GetValueOrDefault("splitcompute.k"));
        var workerRequest = spans.First(s => s.SpanId == head.ParentSpanId);
        Assert.Equal("POST /v1/embeddings", workerRequest.Name);
        var forwarded = spans.First(s => s.SpanId == workerRequest.ParentSpanId);
        Assert.Equal("System.Net.Http", forwarded.Scope);
        Assert.Equal(gatewayRequest.SpanId, forwarded.ParentSpanId);

        // Probes are filtered out: compose polls /alive and /health every few seconds.
        Assert.DoesNotContain(spans, s => s.Name.EndsWith("/alive", StringComparison.Ordinal) || s.Attributes.GetValueOrDefault("url.path") == "/alive");
    }

    [Fact]
    public async Task Our_meters_and_the_frameworks_arrive_under_each_service_at_the_configured_interval()
    {
        StartClean();
        using var edge = cluster.NewEdgeClient();
        await edge.EmbedTextsAsync(["Hello metrics"], SplitPreference.Force(1));

        // No flush: OTEL_METRIC_EXPORT_INTERVAL=200 must bring them (the SDK's own default interval is 60 s).
        await SplitCluster.WaitUntilAsync(
            () => Points(OtlpExportingCluster.GatewayService, "splitcompute.gateway.decisions").Any(p => p.GetValueOrDefault("path") == "split")
                && Points(OtlpExportingCluster.WorkerService, "splitcompute.worker.requests").Any(p => p.GetValueOrDefault("mode") == "head"),
            "the split's decision and head metrics exported", seconds: 10);

        var decision = Points(OtlpExportingCluster.GatewayService, "splitcompute.gateway.decisions").First(p => p.GetValueOrDefault("path") == "split");
        Assert.Equal(SplitCluster.Model, decision.GetValueOrDefault("model"));
        Assert.Equal(SplitCluster.WorkerId, decision.GetValueOrDefault("worker"));
        var head = Points(OtlpExportingCluster.WorkerService, "splitcompute.worker.requests").First(p => p.GetValueOrDefault("mode") == "head");
        Assert.Equal(SplitCluster.WorkerId, head.GetValueOrDefault("worker"));
        Assert.Equal("cpu", head.GetValueOrDefault("device"));

        // The framework's own meters (TelemetryNames.FrameworkMeters), with no instrumentation package behind them.
        var gatewayMetrics = cluster.Receiver.Metrics().Where(m => m.Service == OtlpExportingCluster.GatewayService).ToList();
        Assert.Contains(gatewayMetrics, m => m.Scope == "Microsoft.AspNetCore.Hosting" && m.Name == "http.server.request.duration");
        Assert.Contains(gatewayMetrics, m => m.Scope == "System.Net.Http" && m.Name == "http.client.request.duration");
        Assert.Contains(gatewayMetrics, m => m.Scope == "Microsoft.AspNetCore.Server.Kestrel" && m.Name == "kestrel.active_connections");
        Assert.Contains(gatewayMetrics, m => m.Scope == "System.Runtime" && m.Name == "dotnet.process.memory.working_set");
        var route = gatewayMetrics.Where(m => m.Name == "http.server.request.duration").SelectMany(m => m.Points);
        Assert.Contains(route, p => p.GetValueOrDefault("http.route") == "/v1/embeddings");
    }

    [Fact]
    public void A_log_record_is_exported_with_its_formatted_message()
    {
        StartClean();
        var marker = Guid.NewGuid().ToString("N");
        cluster.Gateway.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SplitCompute.OtlpTest").LogWarning("log probe {Marker}", marker);
        Assert.True(cluster.Gateway.Services.GetRequiredService<LoggerProvider>().ForceFlush(10_000), "the logger provider did not flush within 10 s");

        var logs = cluster.Receiver.Of("logs").ToList();
        Assert.Contains(logs, r => Contains(r.Body, "log probe " + marker) && Contains(r.Body, OtlpExportingCluster.GatewayService));
    }

    private IEnumerable<IReadOnlyDictionary<string, string>> Points(string service, string metric) =>
        cluster.Receiver.Metrics().Where(m => m.Service == service && m.Name == metric).SelectMany(m => m.Points);

    // Protobuf carries strings as raw UTF-8.
    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;
}
