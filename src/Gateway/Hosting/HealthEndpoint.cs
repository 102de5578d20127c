using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Access;
using SplitCompute.Gateway.Workers;

namespace SplitCompute.Gateway.Hosting;

/// <summary>
/// GET /health: readiness (200 with workers and a warm hot path, else 503) and the workers seen. Open to all, as probes need;
/// the workers' internal addresses only to a caller holding a valid API key, or to anyone where
/// <see cref="GatewayOptions.HealthShowsWorkerAddresses"/> is on. An outsider learns what to attack directly otherwise (issue 21).
/// </summary>
internal static class HealthEndpoint
{
    // An address withheld is left out, not written as null.
    private static readonly JsonSerializerOptions WithoutNulls = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static void MapHealth(this IEndpointRouteBuilder app) =>
        app.MapGet("/health", async (HttpContext context, WorkerRegistry registry, GatewayWarmup warmup, ApiKeyCache keys,
            IOptions<GatewayOptions> gateway, IOptions<AccessOptions> access) =>
        {
            var snapshot = registry.Current;
            var showAddresses = gateway.Value.HealthShowsWorkerAddresses
                || (access.Value.RequireApiKeys && await HoldsValidKeyAsync(context, keys).ConfigureAwait(false));
            return Results.Json(new
            {
                redis = snapshot.RedisHealthy,
                warm = warmup.HotPathReady,
                workers = snapshot.Workers.Select(w => new { w.WorkerId, w.Model, Address = showAddresses ? w.Address : null, w.BacklogMs }),
            }, WithoutNulls, statusCode: snapshot.Workers.Count > 0 && warmup.HotPathReady ? 200 : 503);
        });

    /// <summary>A presented key that is well formed, known and not revoked; anything else (or Redis unreachable) is anonymous.</summary>
    private static async Task<bool> HoldsValidKeyAsync(HttpContext context, ApiKeyCache keys)
    {
        var key = PresentedKey.Read(context.Request, out _);
        if (key is null || !ApiKeys.LooksValid(key)) return false;
        var lookup = await keys.LookupAsync(key, context.RequestAborted).ConfigureAwait(false);
        return lookup.Record is { Revoked: false };
    }
}
