using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SplitCompute.Gateway.Hosting;

namespace SplitCompute.EndToEnd.Tests.Otlp;

/// <summary>
/// What the services register before anything is exported (the gateway built, not started). Without OTEL_EXPORTER_OTLP_ENDPOINT:
/// no OpenTelemetry provider, so no OTLP exporter (which would otherwise send to localhost:4317) and no per-request activities
/// for nobody. With one, <see cref="HostedTelemetryExportTests"/> resolves the providers and exports through them.
/// </summary>
public sealed class HostedTelemetryRegistrationTests
{
    private static readonly string[] Quiet = ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"];

    [Fact]
    public async Task Without_an_endpoint_the_gateway_registers_no_provider_and_no_exporter()
    {
        // Empty on the command line: an OTEL_EXPORTER_OTLP_ENDPOINT in the test's environment must not decide the outcome.
        await using var gateway = GatewayApp.Build([.. Quiet, "--OTEL_EXPORTER_OTLP_ENDPOINT="]);
        Assert.Null(gateway.Services.GetService<TracerProvider>());
        Assert.Null(gateway.Services.GetService<MeterProvider>());
        Assert.Null(gateway.Services.GetService<LoggerProvider>());
    }

    [Fact]
    public async Task With_an_endpoint_metrics_are_exported_every_5_s_unless_OTEL_METRIC_EXPORT_INTERVAL_says_otherwise()
    {
        // The SDK's own default is 60 s, too coarse for the dashboards' rate() windows.
        await using var gateway = GatewayApp.Build([.. Quiet, "--OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318", "--OTEL_METRIC_EXPORT_INTERVAL="]);
        var reader = gateway.Services.GetRequiredService<IOptionsMonitor<MetricReaderOptions>>().CurrentValue;
        Assert.Equal(5_000, reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds);
    }
}
