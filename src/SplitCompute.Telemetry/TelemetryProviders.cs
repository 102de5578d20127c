using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace SplitCompute.Telemetry;

/// <summary>
/// Owns one service's meter and tracer providers (the OpenTelemetry hosting package is not in our registry, so the providers
/// are built with the SDK's own builders and disposed with the DI container, which flushes them).
/// </summary>
public sealed class TelemetryProviders : IDisposable
{
    private readonly MeterProvider? _meters;
    private readonly TracerProvider? _tracer;

    public TelemetryProviders(TelemetryOptions options, IReadOnlyList<string> meters, IReadOnlyList<string> sources)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        // Nothing to export to: build no providers. A tracer provider would make ASP.NET Core and HttpClient record an Activity
        // for every request (measured: ~35 us of CPU per proxied request on the gateway) for no reader; in-process readers
        // (MeterListener, ActivityListener: the tests, /dashboard reads the decision log) need no provider.
        if (options.OtlpEndpoint is null) return;
        var resource = ResourceBuilder.CreateDefault().AddService(options.ServiceName, serviceInstanceId: Environment.MachineName);

        var meterBuilder = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource)
            .AddMeter([.. meters, .. TelemetryNames.FrameworkMeters]);
        var tracerBuilder = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource)
            .AddSource([.. sources, .. TelemetryNames.FrameworkSources])
            .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()));
        if (options.OtlpEndpoint is { } endpoint)
        {
            meterBuilder.AddOtlpExporter((exporter, reader) =>
            {
                Configure(exporter, options, endpoint, "v1/metrics");
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.MetricExportInterval.TotalMilliseconds;
            });
            tracerBuilder.AddOtlpExporter(exporter => Configure(exporter, options, endpoint, "v1/traces"));
        }
        _meters = meterBuilder.Build();
        _tracer = tracerBuilder.Build();
    }

    public TelemetryOptions Options { get; }

    /// <summary>Pushes what is buffered now (tests, and shutdown).</summary>
    public bool Flush(int timeoutMilliseconds = 5_000) =>
        (_meters?.ForceFlush(timeoutMilliseconds) ?? true) & (_tracer?.ForceFlush(timeoutMilliseconds) ?? true);

    /// <summary>Whether providers exist (an OTLP endpoint is configured).</summary>
    public bool Exporting => _meters is not null;

    /// <summary>
    /// Set in code, an endpoint is used as given; with http/protobuf that must be the signal's own URL, so the signal path is
    /// appended to the base the variable names (what the SDK itself does when it reads the variable).
    /// </summary>
    internal static void Configure(OtlpExporterOptions exporter, TelemetryOptions options, Uri endpoint, string signalPath)
    {
        exporter.Protocol = options.Protocol == OtlpProtocol.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        exporter.Endpoint = options.Protocol == OtlpProtocol.HttpProtobuf
            ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath)
            : endpoint;
    }

    public void Dispose()
    {
        _tracer?.Dispose();
        _meters?.Dispose();
    }
}
