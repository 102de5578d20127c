using SplitCompute.Gateway.Demo;
using SplitCompute.Gateway.ClientPackage;
using SplitCompute.Protocol.Cluster;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Access;
using SplitCompute.Gateway.Connections;
using SplitCompute.Gateway.Dashboard;
using SplitCompute.Gateway.Decisions;
using SplitCompute.Gateway.Feedback;
using SplitCompute.Gateway.Forwarding;
using SplitCompute.Gateway.Integrity;
using SplitCompute.Gateway.Models;
using SplitCompute.Gateway.Planning;
using SplitCompute.Gateway.Tei;
using SplitCompute.Gateway.Workers;
using SplitCompute.Tokenization;
using SplitCompute.Gateway.Telemetry;
using SplitCompute.RedisConnection;
using SplitCompute.Telemetry;

namespace SplitCompute.Gateway.Hosting;

/// <summary>Composition root of the gateway: options, Redis, the worker registry, the planner, YARP's forwarder, endpoints.</summary>
public static class GatewayApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddSplitComputeTelemetry("splitcompute-gateway", TelemetryNames.Gateway, TelemetryNames.Gateway);
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PlannerOptions>().BindConfiguration(PlannerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FeedbackOptions>().BindConfiguration(FeedbackOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(ClusterSecret.From(builder.Configuration["Cluster:Secret"], builder.Configuration["Cluster:SecretFile"]));
        services.AddSingleton(sp => new RedisConnector(
            sp.GetRequiredService<IOptions<GatewayOptions>>().Value.RedisSettings("splitcompute-gateway"), sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<WorkerRegistry>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerRegistry>());
        services.AddSingleton<GatewayTelemetry>();
        services.AddSingleton<DecisionLog>();
        services.AddHostedService(sp => sp.GetRequiredService<DecisionLog>());
        services.AddSingleton<WorkerSelector>();
        services.AddSingleton<OwnRequestLedger>();
        services.AddSingleton<SplitPlanner>();
        services.AddSingleton<ForwarderClient>();
        services.AddSingleton<GatewayWarmup>();
        services.AddHostedService(sp => sp.GetRequiredService<GatewayWarmup>());
        services.AddSingleton(_ => Gpt2Tokenizer.CreateDefault());
        services.AddSingleton<CapabilityProfileCache>();
        services.AddSingleton<EmbeddingsRequestValidator>();
        services.AddSingleton<RequestPlanning>();
        services.AddSingleton<WorkerForwarding>();
        services.AddSingleton<EmbeddingsProxy>();
        services.AddSingleton<ShardsProxy>();
        services.AddSingleton<TeiEmbedEndpoint>();
        services.AddSingleton<OutstandingDecisions>();
        services.AddSingleton<ClientProfileStore>();
        services.AddSingleton<FeedbackEndpoint>();
        services.AddHttpForwarder();
        services.AddGatewayAccess();
        services.AddManifestSigning();
        var startOptions = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        var limits = ConnectionLimits.From(startOptions);
        var transfer = TransferLimits.From(startOptions);
        services.AddSingleton(limits);
        services.AddSingleton(transfer);
        services.AddRequestAdmission(startOptions);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.Limits.MaxRequestBodySize = context.Configuration.GetValue<long?>($"{GatewayOptions.Section}:MaxRequestBytes") ?? 4 * 1024 * 1024;
            limits.ApplyTo(kestrel);
            transfer.ApplyTo(kestrel);
        });

        var app = builder.Build();
        app.Logger.LogInformation("connection limits: {Limits}; {Transfer}", limits, transfer);
        if (!app.Services.GetRequiredService<ClusterSecret>().Enabled)
            app.Logger.LogWarning("Cluster:Secret is not set: any process that can write to Redis can enrol a worker (development only)");
        app.UseRateLimiter();  // per-address rate and load shedding, before anything costs more than a counter
        app.UseMiddleware<BodyDeadline>();
        app.UseGatewayAccess();
        app.MapGet("/alive", () => Results.Text("alive"));
        app.MapHealth();
        app.MapPost("/v1/embeddings", (HttpContext context, EmbeddingsProxy proxy) => proxy.HandleAsync(context));
        app.MapMethods("/v1/shards/{sha256}", ["GET", "HEAD"], (HttpContext context, string sha256, ShardsProxy proxy) => proxy.HandleAsync(context, sha256));
        app.MapGet("/v1/decisions", (DecisionLog log) => Results.Json(log.Recent()));
        app.MapPost("/v1/feedback", (HttpContext context, FeedbackEndpoint endpoint) => endpoint.HandleAsync(context));
        app.MapModelsEndpoints();
        app.MapTeiEndpoints();
        app.MapIntegrityEndpoints();
        app.MapDashboard();
        app.MapClientPackage();
        app.MapDemo();
        return app;
    }
}
