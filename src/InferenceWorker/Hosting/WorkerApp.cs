using SplitCompute.Protocol.Cluster;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using SplitCompute.InferenceWorker.Endpoints;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.InferenceWorker.Heartbeat;
using SplitCompute.InferenceWorker.Telemetry;
using SplitCompute.RedisConnection;
using SplitCompute.Telemetry;

namespace SplitCompute.InferenceWorker.Hosting;

/// <summary>Composition root of the worker: options, model, executor, heartbeat, endpoints.</summary>
public static class WorkerApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddSplitComputeTelemetry("splitcompute-worker", TelemetryNames.Worker, TelemetryNames.Worker);
        builder.Services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // Section "Redis": Endpoint (host:port or a StackExchange.Redis configuration string), User, Password, Tls, TlsCaFile.
        builder.Services.AddOptions<RedisSettings>().BindConfiguration("Redis");
        builder.Services.AddSingleton(ClusterSecret.From(builder.Configuration["Cluster:Secret"], builder.Configuration["Cluster:SecretFile"]));
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddSingleton<WorkerStats>();
        builder.Services.AddSingleton<HeadExecutor>();
        builder.Services.AddSingleton<WorkerIdentity>();
        builder.Services.AddSingleton<WorkerTelemetry>();
        builder.Services.AddSingleton(services => new RedisConnector(
            services.GetRequiredService<IOptions<RedisSettings>>().Value with { ClientName = "splitcompute-worker" }, services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton<WorkerReadiness>();
        builder.Services.AddHostedService<LoopbackWarmUp>();
        builder.Services.AddSingleton<HeartbeatPublisher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<HeartbeatPublisher>());
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.Limits.MaxRequestBodySize = context.Configuration.GetValue<long?>($"{WorkerOptions.Section}:MaxRequestBytes") ?? WorkerOptions.DefaultMaxRequestBytes;
            // A caller that stops reading is cut off after 5 s instead of holding its frames (Kestrel's default, 240 B/s, let a
            // non-reader keep a whole hidden state for hours); a gateway reads at network speed, far above these.
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(4_096, TimeSpan.FromSeconds(5));
            kestrel.Limits.MinResponseDataRate = new MinDataRate(4_096, TimeSpan.FromSeconds(5));
        });

        var app = builder.Build();
        _ = app.Services.GetRequiredService<ModelHost>();  // load the model (and make shards) before accepting requests
        WorkerWarmUp.Run(app.Services);  // before Kestrel listens: /alive, /health and the first heartbeat come after it
        app.Services.GetRequiredService<HeadExecutor>().Calibrate();
        _ = app.Services.GetRequiredService<WorkerTelemetry>();  // its gauges exist from the start, not from the first request
        if (!app.Services.GetRequiredService<ClusterSecret>().Enabled)
            app.Logger.LogWarning("Cluster:Secret is not set: heartbeats and manifests are not sealed and any caller can use this worker (development only)");
        app.UseMiddleware<ClusterTokenCheck>();
        app.MapGet("/alive", () => Results.Text("alive"));
        // Liveness answers as soon as Kestrel listens; readiness (and the heartbeat) only once the loopback warm-up is over.
        app.MapGet("/health", (HeartbeatPublisher heartbeat, WorkerReadiness readiness) => readiness.IsReady
            ? Results.Json(heartbeat.Snapshot())
            : Results.Json(new { status = "warming up" }, statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapPost("/v1/embeddings", EmbeddingsEndpoint.HandleAsync);
        app.MapMethods("/v1/shards/{sha256}", ["GET", "HEAD"], ShardsEndpoint.Handle);
        return app;
    }
}
