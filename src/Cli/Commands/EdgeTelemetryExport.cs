using Microsoft.Extensions.Configuration;
using SplitCompute.EdgeRuntime.Telemetry;
using SplitCompute.Telemetry;

namespace SplitCompute.Cli.Commands;

/// <summary>
/// `edge embed` exports the edge runtime's metrics and spans through the services' shared OpenTelemetry defaults when
/// OTEL_EXPORTER_OTLP_ENDPOINT is set (flushed when the command ends); otherwise nothing is set up.
/// </summary>
internal static class EdgeTelemetryExport
{
    public static IDisposable? FromEnvironment()
    {
        var options = TelemetryOptions.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build(), "splitcompute-edge");
        return options.OtlpEndpoint is null ? null : new TelemetryProviders(options, [EdgeTelemetry.Name], [EdgeTelemetry.Name]);
    }
}
