namespace SplitCompute.EndToEnd.Tests.Otlp;

/// <summary>
/// The loopback deployment with its telemetry configured as compose configures it (OTEL_* settings), sent over http/protobuf to
/// a real OTLP receiver; metrics every 200 ms rather than the services' 5 s, so tests need not wait.
/// </summary>
public sealed class OtlpExportingCluster : SplitCluster
{
    public const string GatewayService = "splitcompute-gateway-otlp-test";
    public const string WorkerService = "splitcompute-worker-otlp-test";

    internal OtlpReceiver Receiver { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Receiver = await OtlpReceiver.StartAsync();
        GatewayOptions = Receiver.ServiceArguments(GatewayService, metricIntervalMs: 200);
        WorkerOptions = Receiver.ServiceArguments(WorkerService, metricIntervalMs: 200);
        await base.InitializeAsync();
    }

    /// <summary>The services' last exports (flushed as their providers are disposed) still find the receiver.</summary>
    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
