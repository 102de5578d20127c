using System.Globalization;
using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Workers;
using Yarp.ReverseProxy.Forwarder;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// Shapes a forwarded embeddings request for the chosen worker: fixed path, the gateway's split point (a client can never set
/// it itself), the key's id as the fairness label (<see cref="HeaderNames.Tenant"/>), and, on the way back, the decision headers every client and dashboard can read.
/// </summary>
internal sealed class WorkerTransformer(string path, SplitPlan? plan, string workerId, IReadOnlyList<string> warnings, string decisionId = "",
    string? resolvedModel = null, string? tenant = null) : HttpTransformer
{
    /// <summary>What the worker said the request cost it (X-SplitCompute-Worker-Ms), once its answer arrived; null if it did not say.</summary>
    public WorkerTiming? Timing { get; private set; }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        proxyRequest.RequestUri = WorkerUris.For(destinationPrefix, path);
        proxyRequest.Headers.Remove(HeaderNames.SplitK);
        proxyRequest.Headers.Remove(HeaderNames.WarmUp);  // a client must not hide its requests from the worker's metrics
        // The client's API key ends at the gateway: workers never need it, and must not be able to log or replay it.
        proxyRequest.Headers.Authorization = null;
        proxyRequest.Headers.Remove(Access.PresentedKey.ApiKeyHeader);
        proxyRequest.Headers.Remove(HeaderNames.ResolvedModel);
        if (resolvedModel is not null) proxyRequest.Headers.TryAddWithoutValidation(HeaderNames.ResolvedModel, resolvedModel);
        proxyRequest.Headers.Remove(HeaderNames.Tenant);
        if (tenant is not null) proxyRequest.Headers.TryAddWithoutValidation(HeaderNames.Tenant, tenant);
        if (plan is not null) proxyRequest.Headers.TryAddWithoutValidation(HeaderNames.SplitK, plan.K.ToString(CultureInfo.InvariantCulture));
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        var headers = httpContext.Response.Headers;
        if (proxyResponse is not null && proxyResponse.Headers.TryGetValues(HeaderNames.WorkerMs, out var timing)
            && WorkerTiming.TryParse(timing.FirstOrDefault(), out var parsed)) Timing = parsed;
        if (plan is not null)
        {
            headers[HeaderNames.Decision] = DecisionHeaders.Decision(plan, workerId, decisionId);
            headers[HeaderNames.Predicted] = DecisionHeaders.Predicted(plan);
        }
        // The gateway's own warnings join the worker's (e.g. a split it declined), never replace them.
        if (warnings.Count > 0) headers[HeaderNames.Warning] = Microsoft.Extensions.Primitives.StringValues.Concat(headers[HeaderNames.Warning], new Microsoft.Extensions.Primitives.StringValues(warnings.ToArray()));
        return result;
    }
}
