using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using SplitCompute.Telemetry;

namespace SplitCompute.EndToEnd.Tests.Otlp;

/// <summary>
/// OTLP export without a host, as the CLI's `edge embed` uses it (<see cref="TelemetryProviders"/>): metrics and spans arrive as
/// protobuf batches over HTTP at a real OTLP receiver on loopback. The services' hosted registration: <see cref="HostedTelemetryExportTests"/>.
/// </summary>
public sealed class OtlpExportTests : IAsyncLifetime
{
    private OtlpReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await OtlpReceiver.StartAsync();

    [Fact]
    public void Metrics_and_spans_arrive_as_protobuf_batches_at_the_configured_endpoint()
    {
        var meterName = $"SplitCompute.OtlpTest.{Guid.NewGuid():N}";
        var options = new TelemetryOptions(_receiver.Endpoint, OtlpProtocol.HttpProtobuf, "otlp-export-test", TimeSpan.FromSeconds(60));
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

        Assert.NotEmpty(_receiver.Of("metrics"));
        Assert.NotEmpty(_receiver.Of("traces"));
        Assert.All(_receiver.Of("metrics").Concat(_receiver.Of("traces")), r => Assert.Equal("application/x-protobuf", r.ContentType));
        // Cumulative, so the flush and the final export on disposal both carry the counter.
        var decisions = _receiver.Metrics().Where(m => m.Name == "splitcompute.test.decisions").ToList();
        Assert.NotEmpty(decisions);
        Assert.All(decisions, d => Assert.Equal(("otlp-export-test", meterName), (d.Service, d.Scope)));
        Assert.All(decisions, d => Assert.Equal("split", Assert.Single(d.Points).GetValueOrDefault("path")));
        var plan = Assert.Single(_receiver.Spans(), s => s.Name == "splitcompute.test.plan");
        Assert.Equal(("otlp-export-test", meterName), (plan.Service, plan.Scope));
        Assert.Equal("5", plan.Attributes.GetValueOrDefault("splitcompute.k"));
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

    public async Task DisposeAsync() => await _receiver.DisposeAsync();
}
