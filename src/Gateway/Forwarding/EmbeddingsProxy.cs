using System.Diagnostics;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Api;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Workers;
using SplitCompute.Protocol.Errors;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// POST /v1/embeddings in three stages: validate (<see cref="EmbeddingsRequestValidator"/>: size, content type, JSON, model,
/// tokens), plan (<see cref="RequestPlanning"/>: the client, then per attempt the least-loaded worker and the split there) and
/// forward (<see cref="WorkerForwarding"/>: YARP, the decision log, feedback awaited). A worker that fails before answering is
/// replaced once by another.
/// </summary>
internal sealed class EmbeddingsProxy(
    EmbeddingsRequestValidator validator, RequestPlanning planning, WorkerForwarding forwarding, WorkerRegistry registry, IOptions<GatewayOptions> options)
{
    private const int MaxAttempts = 2;
    private readonly int _retryAfterSeconds = options.Value.RetryAfterSeconds;

    public async Task HandleAsync(HttpContext context)
    {
        var clock = Stopwatch.StartNew();
        var (request, refusal) = await validator.ValidateAsync(context).ConfigureAwait(false);
        if (request is null)
        {
            await RefuseAsync(context, refusal!).ConfigureAwait(false);
            return;
        }
        var requester = planning.Read(context.Request);
        var decisionId = DecisionId.New();
        var tried = new List<string>();
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var next = planning.Next(registry.Current, request.Resolved, tried, requester, request.Size);
            if (next is null) break;
            var (worker, plan) = next.Value;
            if (await forwarding.TryAsync(context, request, requester, worker, plan, attempt, decisionId, clock).ConfigureAwait(false)) return;
            tried.Add(worker.WorkerId);
        }
        var model = request.Resolved.Model;
        await RefuseAsync(context, new EmbeddingsRefusal(ApiError.Unavailable(tried.Count == 0
            ? $"no worker serving '{model}' is available"
            : $"worker(s) {string.Join(", ", tried)} failed before answering"), RetryAfter: true)).ConfigureAwait(false);
    }

    private Task RefuseAsync(HttpContext context, EmbeddingsRefusal refusal)
    {
        if (refusal.RetryAfter) context.Response.Headers.RetryAfter = _retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiErrorResult.WriteAsync(context, refusal.Error);
    }
}
