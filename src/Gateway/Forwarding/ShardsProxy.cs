using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Telemetry;
using SplitCompute.Gateway.Workers;
using SplitCompute.Protocol.Manifests;
using Yarp.ReverseProxy.Forwarder;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// GET/HEAD /v1/shards/{sha256}: forwarded through YARP to a worker whose model revision lists that shard (every worker of a
/// revision holds all its shards; see <see cref="WorkerSnapshot.ShardSources"/>). Malformed names are refused here, before any
/// worker sees them; another worker is tried if the first fails or stays silent for WorkerTimeoutSeconds (without that limit a hung worker would stall every edge download for YARP's 100 s).
/// </summary>
internal sealed class ShardsProxy(WorkerRegistry registry, IHttpForwarder forwarder, ForwarderClient client, GatewayTelemetry telemetry, IOptions<GatewayOptions> options)
{
    private readonly ForwarderRequestConfig _config = new() { ActivityTimeout = TimeSpan.FromSeconds(options.Value.WorkerTimeoutSeconds) };

    public async Task HandleAsync(HttpContext context, string sha256)
    {
        if (!ShardManifest.IsSha256(sha256))
        {
            await Api.StatusErrors.WriteAsync(context, 400, "a shard name is 64 lowercase hexadecimal characters (its SHA-256)").ConfigureAwait(false);
            return;
        }
        foreach (var worker in registry.Current.ShardSources(sha256).Take(2))
        {
            var error = await forwarder.SendAsync(context, worker.Address, client.Invoker, _config,
                new WorkerTransformer($"/v1/shards/{sha256}", null, worker.WorkerId, [])).ConfigureAwait(false);
            if (error == ForwarderError.None || context.Response.HasStarted)
            {
                telemetry.ShardServed(context.Response.StatusCode, HttpMethods.IsGet(context.Request.Method) ? context.Response.ContentLength ?? 0 : 0);
                return;
            }
            context.Response.Clear();
        }
        telemetry.ShardServed(503, 0);
        context.Response.Headers.RetryAfter = "2";
        await Api.StatusErrors.WriteAsync(context, 503, "no worker can serve shards right now").ConfigureAwait(false);
    }
}
