using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace SplitCompute.Telemetry;

/// <summary>
/// The one call each service makes: metrics, traces and structured logs through OpenTelemetry's hosted registration, exported
/// over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (see <see cref="TelemetryOptions"/>); per-request framework logs kept
/// below Information (<see cref="PerRequestLogLevels"/>).
/// </summary>
public static class TelemetryHostingExtensions
{
    public static TBuilder AddSplitComputeTelemetry<TBuilder>(this TBuilder builder, string serviceName, string meter, string source)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.QuietPerRequestLogs(builder.Configuration);
        var options = TelemetryOptions.FromConfiguration(builder.Configuration, serviceName);
        builder.Services.AddSingleton(options);
        // Nothing to export to: register no providers. A tracer provider with no exporter still makes ASP.NET Core and HttpClient
        // record an Activity for every request (measured: ~35 us of CPU per proxied request on the gateway) for no reader;
        // in-process readers (MeterListener, ActivityListener: the tests; /dashboard reads the decision log) need no provider.
        if (options.OtlpEndpoint is not { } endpoint) return builder;

        // The SDK's default is 60 s; ours (5 s, or OTEL_METRIC_EXPORT_INTERVAL) keeps the dashboards' rate() windows short.
        builder.Services.Configure<MetricReaderOptions>(reader =>
            reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.MetricExportInterval.TotalMilliseconds);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName, serviceInstanceId: Environment.MachineName))
            .WithMetrics(metrics => metrics.AddMeter([meter, .. TelemetryNames.FrameworkMeters]))
            // ASP.NET Core 10's own request activity carries no route, status code or route-based name: the instrumentation adds them.
            .WithTracing(tracing => tracing
                .AddSource([source, .. TelemetryNames.FrameworkSources])
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = IsNotAProbe))
            .WithLogging(configureBuilder: null, configureOptions: logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
            })
            .UseOtlpExporter(options.Protocol == OtlpProtocol.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc, endpoint);
        return builder;
    }

    /// <summary>Liveness and readiness probes (compose polls them every few seconds) would otherwise be most of the traces.</summary>
    internal static bool IsNotAProbe(HttpContext context) =>
        !context.Request.Path.StartsWithSegments("/alive") && !context.Request.Path.StartsWithSegments("/health");
}
