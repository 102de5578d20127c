using Microsoft.Extensions.Configuration;

namespace SplitCompute.Telemetry;

/// <summary>
/// Where telemetry goes. Read from the standard OpenTelemetry variables, so a compose file or a Kubernetes manifest configures
/// it the usual way: OTEL_EXPORTER_OTLP_ENDPOINT (unset: nothing is exported, instruments still work for in-process readers),
/// OTEL_EXPORTER_OTLP_PROTOCOL (grpc | http/protobuf, default grpc as the specification says), OTEL_SERVICE_NAME.
/// </summary>
public sealed record TelemetryOptions(Uri? OtlpEndpoint, OtlpProtocol Protocol, string ServiceName, TimeSpan MetricExportInterval)
{
    public static TelemetryOptions FromConfiguration(IConfiguration configuration, string defaultServiceName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var endpointText = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        Uri? endpoint = null;
        if (!string.IsNullOrWhiteSpace(endpointText)
            && (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
            throw new InvalidOperationException($"OTEL_EXPORTER_OTLP_ENDPOINT '{endpointText}' is not an http(s) URL (e.g. http://otel-collector:4317)");
        var protocol = configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] switch
        {
            null or "" or "grpc" => OtlpProtocol.Grpc,
            "http/protobuf" => OtlpProtocol.HttpProtobuf,
            var other => throw new InvalidOperationException($"OTEL_EXPORTER_OTLP_PROTOCOL '{other}' is not supported (grpc or http/protobuf)"),
        };
        var intervalText = configuration["OTEL_METRIC_EXPORT_INTERVAL"];
        var interval = int.TryParse(intervalText, out var ms) && ms > 0 ? TimeSpan.FromMilliseconds(ms) : TimeSpan.FromSeconds(5);
        var name = configuration["OTEL_SERVICE_NAME"];
        return new TelemetryOptions(endpoint, protocol, string.IsNullOrWhiteSpace(name) ? defaultServiceName : name, interval);
    }
}

public enum OtlpProtocol
{
    Grpc,
    HttpProtobuf,
}
