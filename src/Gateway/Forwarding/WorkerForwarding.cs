using System.Diagnostics;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Decisions;
using SplitCompute.Gateway.Feedback;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Planning;
using SplitCompute.Gateway.Workers;
using SplitCompute.Protocol.Feedback;
using SplitCompute.Protocol.Heartbeats;
using Yarp.ReverseProxy.Forwarder;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// The last stage of POST /v1/embeddings: one attempt on one worker through YARP, with the plan's split point in the request.
/// An answered attempt is recorded in the <see cref="DecisionLog"/>, and a split for an identified client awaits its feedback
/// (<see cref="OutstandingDecisions"/>); only an attempt that never reached its worker may be retried elsewhere (<see cref="RetryPolicy"/>).
/// </summary>
internal sealed class WorkerForwarding(
    IHttpForwarder forwarder, ForwarderClient client, DecisionLog decisions, OutstandingDecisions outstanding, OwnRequestLedger ledger,
    IOptions<GatewayOptions> options, TimeProvider time)
{
    private readonly ForwarderRequestConfig _config = new() { ActivityTimeout = TimeSpan.FromSeconds(options.Value.WorkerTimeoutSeconds) };

    /// <summary>Answered when the client got an answer (or went away); otherwise the response is untouched and the caller answers.</summary>
    public async Task<ForwardOutcome> TryAsync(HttpContext context, ValidatedEmbeddingsRequest request, RequestClient requester, WorkerHeartbeat worker,
        SplitPlan plan, int attempt, string decisionId, Stopwatch clock)
    {
        var model = request.Resolved.Model;
        // Only a recorded activity is exported; ASP.NET Core also makes unrecorded ones just for log scopes.
        if (Activity.Current is { Recorded: true } activity)
        {
            activity.SetTag("splitcompute.k", plan.K).SetTag("splitcompute.n", plan.N).SetTag("splitcompute.worker", worker.WorkerId)
                .SetTag("splitcompute.model", model).SetTag("splitcompute.predicted_ms", plan.Predicted.TotalMs).SetTag("splitcompute.attempt", attempt);
        }
        context.Request.Body = new MemoryStream(request.Body, writable: false);
        context.Request.ContentLength = request.Body.Length;
        var ticket = ledger.Started(worker.WorkerId, plan.Predicted.QueueMs, plan.Predicted.CloudMs);
        var tenant = (context.Items[Access.ApiKeyMiddleware.RecordItem] as Access.ApiKeyRecord)?.Id;
        var transformer = new WorkerTransformer("/v1/embeddings", plan, worker.WorkerId, requester.Warnings, decisionId, model, tenant);
        ForwarderError error;
        try
        {
            error = await forwarder.SendAsync(context, worker.Address, client.Invoker, _config, transformer).ConfigureAwait(false);
        }
        finally
        {
            ledger.Finished(ticket);
        }
        if (transformer.Timing is { } timing) ledger.Observed(worker.WorkerId, plan.Predicted.QueueMs, timing.WaitMs);
        if (error != ForwarderError.None && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            context.Response.Clear();
            return RetryPolicy.Classify(error);
        }
        var size = request.Size;
        decisions.Record(new SplitDecision(time.GetUtcNow(), context.TraceIdentifier, model, worker.WorkerId, size.Sequences, size.Tokens,
            plan, context.Response.StatusCode, clock.Elapsed.TotalMilliseconds, decisionId) { WorkerTiming = transformer.Timing });
        // An identified client's split is awaited for feedback: the only way its measurements can reach its plans.
        if (requester is { ClientId: { } clientId, Profile: { } profile, WantsFrame: true } && !plan.IsCloudOnly && context.Response.StatusCode == StatusCodes.Status200OK)
        {
            outstanding.Add(decisionId, new IssuedDecision(clientId, model, plan.K, plan.N, worker.NEmbd, size, time.GetUtcNow(), Activity.Current?.Context ?? default)
            {
                Edge = profile.Edge, Predicted = plan.Predicted, PlannedDownlinkMbps = profile.DownlinkMbps,
                WorkerTotalMs = transformer.Timing?.TotalMs, WorkerWaitMs = transformer.Timing?.WaitMs,
            });
        }
        return ForwardOutcome.Answered;
    }
}
