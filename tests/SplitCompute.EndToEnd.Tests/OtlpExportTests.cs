using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using SplitCompute.Telemetry;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// OTLP export as a deployment uses it: the services' providers send protobuf batches over HTTP to a collector. The collector
/// here is a real Kestrel server on loopback that records what arrives.
/// </summary>
public sealed class OtlpExportTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Path, string? ContentType, byte[] Body)> _received = new();
    private WebApplication _collector = null!;
    private Uri _endpoint = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        _collector = builder.Build();
        _collector.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            _received.Enqueue((context.Request.Path.Value!, context.Request.ContentType, body.ToArray()));
            return Results.Ok();
        });
        await _collector.StartAsync();
        _endpoint = new Uri(_collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    [Fact]
    public void Metrics_and_spans_arrive_as_protobuf_batches_at_the_configured_endpoint()
    {
        var meterName = $"SplitCompute.OtlpTest.{Guid.NewGuid():N}";
        var options = new TelemetryOptions(_endpoint, OtlpProtocol.HttpProtobuf, "otlp-export-test", TimeSpan.FromSeconds(60));
        using (var providers = new TelemetryProviders(options, [meterName], [meterName]))
        using (var meter = new Meter(meterName))
        using (var source = new ActivitySource(meterName))
        {
            meter.CreateCounter<long>("splitcompute.test.decisions").Add(3, new KeyValuePair<string, object?>("path", "split"));
            using (var activity = source.StartActivity("splitcompute.test.plan"))
            {
                Assert.NotNull(activity);  // the tracer provider listens to the source
                activity.SetTag("splitcompute.k", 5);
            }
            Assert.True(providers.Flush(10_000), "the providers did not flush within 10 s");
        }

        var metrics = _received.Where(r => r.Path == "/v1/metrics").ToList();
        var traces = _received.Where(r => r.Path == "/v1/traces").ToList();
        Assert.NotEmpty(metrics);
        Assert.NotEmpty(traces);
        Assert.All(metrics.Concat(traces), r => Assert.Equal("application/x-protobuf", r.ContentType));
        // Protobuf carries strings as raw UTF-8: the instrument, span and service names are in the batches.
        Assert.Contains(metrics, r => Contains(r.Body, "splitcompute.test.decisions") && Contains(r.Body, "otlp-export-test"));
        Assert.Contains(traces, r => Contains(r.Body, "splitcompute.test.plan") && Contains(r.Body, "splitcompute.k"));
    }

    [Fact]
    public void A_malformed_endpoint_is_refused_with_the_variable_named()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317")]).Build();
        var error = Assert.Throws<InvalidOperationException>(() => TelemetryOptions.FromConfiguration(configuration, "x"));
        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT", error.Message, StringComparison.Ordinal);
        var none = TelemetryOptions.FromConfiguration(new ConfigurationBuilder().Build(), "svc");
        Assert.Null(none.OtlpEndpoint);
        Assert.Equal("svc", none.ServiceName);
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;

    public async Task DisposeAsync() => await _collector.DisposeAsync();
}
