using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace SplitCompute.Telemetry;

/// <summary>
/// Meter and tracer providers for a process without a host (the CLI's `edge embed`), built with the SDK's own builders; disposing
/// them flushes. The services use the hosted registration instead (<see cref="TelemetryHostingExtensions"/>).
/// </summary>
public sealed class TelemetryProviders : IDisposable
{
    private readonly MeterProvider? _meters;
    private readonly TracerProvider? _tracer;

    public TelemetryProviders(TelemetryOptions options, IReadOnlyList<string> meters, IReadOnlyList<string> sources)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        // Nothing to export to: build no providers (they would record activities for no reader).
        if (options.OtlpEndpoint is not { } endpoint) return;
        var resource = ResourceBuilder.CreateDefault().AddService(options.ServiceName, serviceInstanceId: Environment.MachineName);

        var meterBuilder = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource)
            .AddMeter([.. meters, .. TelemetryNames.FrameworkMeters]);
        var tracerBuilder = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource)
            .AddSource([.. sources, .. TelemetryNames.FrameworkSources])
            .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()));
        meterBuilder.AddOtlpExporter((exporter, reader) =>
        {
            Configure(exporter, options, endpoint, "v1/metrics");
            reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.MetricExportInterval.TotalMilliseconds;
        });
        tracerBuilder.AddOtlpExporter(exporter => Configure(exporter, options, endpoint, "v1/traces"));
        _meters = meterBuilder.Build();
        _tracer = tracerBuilder.Build();
    }

    public TelemetryOptions Options { get; }

    /// <summary>Pushes what is buffered now (tests, and shutdown).</summary>
    public bool Flush(int timeoutMilliseconds = 5_000) =>
        (_meters?.ForceFlush(timeoutMilliseconds) ?? true) & (_tracer?.ForceFlush(timeoutMilliseconds) ?? true);

    /// <summary>
    /// Set in code, an endpoint is used as given; with http/protobuf that must be the signal's own URL, so the signal path is
    /// appended to the base the variable names (what the SDK itself does when it reads the variable).
    /// </summary>
    private static void Configure(OtlpExporterOptions exporter, TelemetryOptions options, Uri endpoint, string signalPath)
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
