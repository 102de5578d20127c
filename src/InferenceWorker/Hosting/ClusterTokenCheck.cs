using SplitCompute.Protocol.Cluster;
using SplitCompute.Protocol.Errors;

namespace SplitCompute.InferenceWorker.Hosting;

/// <summary>
/// With a cluster secret, a worker answers only its cluster's gateways (the token in <see cref="ClusterSecret.Header"/>): a client
/// that reaches a worker directly gets 401, so the gateway's keys, limits and decisions cannot be gone around. Liveness and
/// readiness stay open for orchestrators.
/// </summary>
internal sealed class ClusterTokenCheck(RequestDelegate next, ClusterSecret cluster)
{
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (!cluster.Enabled || path.StartsWithSegments("/alive", StringComparison.Ordinal) || path.StartsWithSegments("/health", StringComparison.Ordinal)
            || cluster.IsRequestToken(context.Request.Headers[ClusterSecret.Header]))
            return next(context);
        var error = new ApiError(401, "this worker answers only its cluster's gateways (no valid cluster token); send requests to the gateway",
            ApiErrorCodes.InvalidRequest, null, "cluster_token_required");
        context.Response.StatusCode = error.Status;
        context.Response.ContentType = ApiError.MediaType;
        return context.Response.Body.WriteAsync(error.ToUtf8Json()).AsTask();
    }
}
