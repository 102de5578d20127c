using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace SplitCompute.EndToEnd.Tests.Otlp;

/// <summary>
/// An OTLP/HTTP collector as far as an exporter can tell: a real Kestrel server on loopback that accepts POST /v1/{signal}
/// (protobuf bodies) and keeps what arrives, decoded on demand.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app)
    {
        _app = app;
        _app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            Received.Enqueue(new OtlpRequest(context.Request.Path.Value!, context.Request.ContentType, body.ToArray()));
            return Results.Ok();
        });
    }

    /// <summary>The base URL the exporters are given; they append /v1/traces, /v1/metrics, /v1/logs.</summary>
    public Uri Endpoint { get; private set; } = null!;

    public ConcurrentQueue<OtlpRequest> Received { get; } = new();

    public IEnumerable<OtlpRequest> Of(string signal) => Received.Where(r => r.Path == "/v1/" + signal);

    public IReadOnlyList<ExportedSpan> Spans() => [.. Of("traces").SelectMany(r => OtlpDecoding.Spans(r.Body))];

    public IReadOnlyList<ExportedMetric> Metrics() => [.. Of("metrics").SelectMany(r => OtlpDecoding.Metrics(r.Body))];

    /// <summary>Command-line arguments that point a service's hosted telemetry here over http/protobuf.</summary>
    public string[] ServiceArguments(string serviceName, int metricIntervalMs) =>
    [
        $"--OTEL_EXPORTER_OTLP_ENDPOINT={Endpoint}",
        "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        $"--OTEL_SERVICE_NAME={serviceName}",
        $"--OTEL_METRIC_EXPORT_INTERVAL={metricIntervalMs}",
    ];

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        // A collector is another process, whose requests no service traces. Here the services' tracer providers would record
        // this server's "Microsoft.AspNetCore" activities (sources match by name, process-wide) and export those in turn.
        builder.Services.AddSingleton(new ActivitySource("SplitCompute.Tests.OtlpReceiver"));
        builder.Services.AddSingleton(new DiagnosticListener("SplitCompute.Tests.OtlpReceiver"));
        var receiver = new OtlpReceiver(builder.Build());
        await receiver._app.StartAsync();
        receiver.Endpoint = new Uri(receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

internal sealed record OtlpRequest(string Path, string? ContentType, byte[] Body);
