using System.Diagnostics;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Access;
using SplitCompute.Gateway.Api;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Workers;
using SplitCompute.Protocol.Errors;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// POST /v1/embeddings in three stages: validate (<see cref="EmbeddingsRequestValidator"/>: size, content type, JSON, model,
/// tokens; then the key's token limits, <see cref="TokenAdmission"/>), plan (<see cref="RequestPlanning"/>: the client, then per attempt the least-loaded worker and the split there) and
/// forward (<see cref="WorkerForwarding"/>: YARP, the decision log, feedback awaited). A worker whose connection failed before
/// answering is replaced once by another; one that timed out is not (it may still be running the request): 504.
/// </summary>
internal sealed class EmbeddingsProxy(
    EmbeddingsRequestValidator validator, TokenAdmission admission, RequestPlanning planning, WorkerForwarding forwarding, WorkerRegistry registry,
    IOptions<GatewayOptions> options)
{
    private const int MaxAttempts = 2;
    private readonly int _retryAfterSeconds = options.Value.RetryAfterSeconds;
    private readonly int _workerTimeoutSeconds = options.Value.WorkerTimeoutSeconds;

    public async Task HandleAsync(HttpContext context)
    {
        var clock = Stopwatch.StartNew();
        var (request, refusal) = await validator.ValidateAsync(context).ConfigureAwait(false);
        if (request is null)
        {
            await RefuseAsync(context, refusal!).ConfigureAwait(false);
            return;
        }
        var lease = await admission.TryAdmitAsync(context, request.Size.Tokens).ConfigureAwait(false);
        if (lease is null) return;
        await using (lease.ConfigureAwait(false))
        {
            await ForwardAsync(context, request, clock).ConfigureAwait(false);
        }
    }

    private async Task ForwardAsync(HttpContext context, ValidatedEmbeddingsRequest request, Stopwatch clock)
    {
        var requester = planning.Read(context.Request);
        var decisionId = DecisionId.New();
        var tried = new List<string>();
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var next = planning.Next(registry.Current, request.Resolved, tried, requester, request.Size);
            if (next is null) break;
            var (worker, plan) = next.Value;
            var outcome = await forwarding.TryAsync(context, request, requester, worker, plan, attempt, decisionId, clock).ConfigureAwait(false);
            if (outcome == ForwardOutcome.Answered) return;
            if (outcome == ForwardOutcome.Failed)
            {
                await FailedAsync(context, worker.WorkerId).ConfigureAwait(false);
                return;
            }
            tried.Add(worker.WorkerId);
        }
        var model = request.Resolved.Model;
        await RefuseAsync(context, new EmbeddingsRefusal(ApiError.Unavailable(tried.Count == 0
            ? $"no worker serving '{model}' is available"
            : $"worker(s) {string.Join(", ", tried)} failed before answering"), RetryAfter: true)).ConfigureAwait(false);
    }

    private Task FailedAsync(HttpContext context, string workerId)
    {
        var timedOut = context.GetForwarderErrorFeature()?.Error == Yarp.ReverseProxy.Forwarder.ForwarderError.RequestTimedOut;
        return StatusErrors.WriteAsync(context, timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway, timedOut
            ? $"worker {workerId} did not answer within {_workerTimeoutSeconds} s; not retried elsewhere (it may still be running the request)"
            : $"worker {workerId} failed before answering; not retried elsewhere");
    }

    private Task RefuseAsync(HttpContext context, EmbeddingsRefusal refusal)
    {
        if (refusal.RetryAfter) context.Response.Headers.RetryAfter = _retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiErrorResult.WriteAsync(context, refusal.Error);
    }
}
