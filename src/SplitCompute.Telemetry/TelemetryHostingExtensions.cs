using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;

namespace SplitCompute.Telemetry;

/// <summary>The one call each service makes: metrics, traces and (when exporting) structured logs through OpenTelemetry.</summary>
public static class TelemetryHostingExtensions
{
    public static WebApplicationBuilder AddSplitComputeTelemetry(this WebApplicationBuilder builder, string serviceName, string meter, string source)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = TelemetryOptions.FromConfiguration(builder.Configuration, serviceName);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => new TelemetryProviders(options, [meter], [source]));
        // Built with the host, not on first use: instruments created before the providers exist would be missed.
        builder.Services.AddHostedService<TelemetryStarter>();
        if (options.OtlpEndpoint is { } endpoint)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
                logging.SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(options.ServiceName));
                logging.AddOtlpExporter(exporter => TelemetryProviders.Configure(exporter, options, endpoint, "v1/logs"));
            });
        }
        return builder;
    }

    private sealed class TelemetryStarter(TelemetryProviders providers) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = providers.Options;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            providers.Flush(2_000);
            return Task.CompletedTask;
        }
    }
}
