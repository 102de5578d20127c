using System.Diagnostics;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SplitCompute.Gateway.Api;
using SplitCompute.Gateway.Decisions;
using SplitCompute.Gateway.Feedback;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Models;
using SplitCompute.Gateway.Planning;
using SplitCompute.Gateway.Workers;
using SplitCompute.Model.Tokenization;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Embeddings;
using SplitCompute.Protocol.Errors;
using SplitCompute.Protocol.Feedback;
using SplitCompute.Protocol.Heartbeats;
using Yarp.ReverseProxy.Forwarder;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// POST /v1/embeddings: validate (JSON only, 415 otherwise) and size the request, resolve its model (<see cref="ModelResolver"/>), plan the split for the least-loaded worker, forward through YARP, and retry
/// once on another worker if the first fails before answering. Every decision goes to the <see cref="DecisionLog"/>.
/// </summary>
internal sealed class EmbeddingsProxy(
    WorkerRegistry registry, WorkerSelector selector, SplitPlanner planner, IHttpForwarder forwarder, ForwarderClient client,
    DecisionLog decisions, Gpt2Tokenizer tokenizer, CapabilityProfileCache capabilityCache, IOptions<GatewayOptions> options, TimeProvider time,
    OutstandingDecisions outstanding, ClientProfileStore profiles, IOptions<FeedbackOptions> feedbackOptions, OwnRequestLedger ledger)
{
    private const int MaxAttempts = 2;
    private readonly GatewayOptions _options = options.Value;
    private readonly TimeSpan _fallbackCooldown = TimeSpan.FromSeconds(feedbackOptions.Value.FallbackCooldownSeconds);
    private readonly TimeSpan _profileTtl = TimeSpan.FromSeconds(feedbackOptions.Value.ProfileTtlSeconds);
    private readonly ForwarderRequestConfig _forwarderConfig = new() { ActivityTimeout = TimeSpan.FromSeconds(options.Value.WorkerTimeoutSeconds) };

    public async Task HandleAsync(HttpContext context)
    {
        var clock = Stopwatch.StartNew();
        var request = context.Request;
        OversizedBody.AllowDrain(context, _options.MaxDrainBytes);
        if (request.ContentLength > _options.MaxRequestBytes)
        {
            await OversizedBody.DrainAsync(context, _options.MaxDrainBytes).ConfigureAwait(false);
            await Refuse(context, ApiError.TooLarge($"the body is {request.ContentLength} bytes; the limit is {_options.MaxRequestBytes}")).ConfigureAwait(false);
            return;
        }
        if (!IsJson(request.ContentType))
        {
            await Refuse(context, ApiError.UnsupportedMediaType($"Content-Type must be application/json, found {(string.IsNullOrEmpty(request.ContentType) ? "none" : request.ContentType)}")).ConfigureAwait(false);
            return;
        }
        var body = await RequestBodyReader.ReadAsync(request, _options.MaxRequestBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await OversizedBody.DrainAsync(context, _options.MaxDrainBytes).ConfigureAwait(false);
            await Refuse(context, ApiError.TooLarge($"the body exceeds the limit of {_options.MaxRequestBytes} bytes")).ConfigureAwait(false);
            return;
        }
        EmbeddingRequest parsed;
        try
        {
            parsed = EmbeddingRequestParser.Parse(body);
        }
        catch (ProtocolException ex)
        {
            await Refuse(context, ApiError.From(ex)).ConfigureAwait(false);
            return;
        }

        await registry.FirstRefresh.WaitAsync(TimeSpan.FromSeconds(2), context.RequestAborted).ConfigureAwait(false);
        var snapshot = registry.Current;
        if (snapshot.Workers.Count == 0)
        {
            await Unavailable(context, "no inference worker is available").ConfigureAwait(false);
            return;
        }
        var resolved = ModelResolver.Resolve(parsed.Model, snapshot, _options.DefaultModel, _options.ModelAliases);
        var serving = resolved is null ? null : snapshot.Serving(resolved.Model).FirstOrDefault(w => resolved.Revision is null || w.Revision == resolved.Revision);
        if (resolved is null || serving is null)
        {
            await Refuse(context, ApiError.ModelNotFound(
                $"The model '{parsed.Model ?? "default"}' does not exist or is not served (served: {ModelResolver.Describe(snapshot, _options.ModelAliases)})")).ConfigureAwait(false);
            return;
        }
        var model = resolved.Model;
        try
        {
            _ = EmbeddingShaping.For(parsed, serving.NEmbd, serving.Dimensions, serving.Normalize);  // refused here, before planning
        }
        catch (ProtocolException ex)
        {
            await Refuse(context, ApiError.From(ex)).ConfigureAwait(false);
            return;
        }

        var lengths = parsed.TokenIds is { } ids ? ids.Select(s => s.Length).ToArray() : [.. parsed.Texts!.Select(t => tokenizer.Encode(t).Length)];
        var nPositions = serving.NPositions;
        var tooLong = Array.FindIndex(lengths, l => l > nPositions);
        if (tooLong >= 0 && !parsed.Truncate)
        {
            await Refuse(context, ApiError.ContextLengthExceeded(
                $"input[{tooLong}] is {lengths[tooLong]} tokens; the model's limit (n_positions) is {nPositions} (send \"truncate\": true to cut it)", $"input[{tooLong}]")).ConfigureAwait(false);
            return;
        }
        for (var i = 0; i < lengths.Length; i++) lengths[i] = Math.Min(lengths[i], nPositions);
        var size = new PlanRequest(lengths.Length, lengths.Max(), lengths.Sum());
        var wantsFrame = Accepts(request.Headers.Accept, MediaTypes.HiddenState);
        var capabilities = capabilityCache.Read(request, wantsFrame);
        var clientId = ClientIdReader.Read(request, out var clientProblem);
        IReadOnlyList<string> warnings = clientProblem is null ? capabilities.Warnings : [.. capabilities.Warnings, clientProblem];
        var clientProfile = ClientFor(clientId, wantsFrame ? capabilities.Client : null);
        var decisionId = DecisionId.New();

        var tried = new List<string>();
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var worker = selector.Select(registry.Current, model, tried, resolved.Revision);
            if (worker is null) break;
            var current = registry.Current;
            var plan = Plan(current, worker, current.ToLoad(worker, ledger.PredictQueueMs(worker)), wantsFrame ? capabilities : null, clientProfile, size);
            // Only a recorded activity is exported; ASP.NET Core also makes unrecorded ones just for log scopes.
            if (Activity.Current is { Recorded: true } activity)
            {
                activity.SetTag("splitcompute.k", plan.K).SetTag("splitcompute.n", plan.N).SetTag("splitcompute.worker", worker.WorkerId)
                    .SetTag("splitcompute.model", model).SetTag("splitcompute.predicted_ms", plan.Predicted.TotalMs).SetTag("splitcompute.attempt", attempt);
            }
            request.Body = new MemoryStream(body, writable: false);
            request.ContentLength = body.Length;
            var ticket = ledger.Started(worker.WorkerId, plan.Predicted.QueueMs, plan.Predicted.CloudMs);
            var transformer = new WorkerTransformer("/v1/embeddings", plan, worker.WorkerId, warnings, decisionId, model);
            ForwarderError error;
            try
            {
                error = await forwarder.SendAsync(context, worker.Address, client.Invoker, _forwarderConfig, transformer).ConfigureAwait(false);
            }
            finally
            {
                ledger.Finished(ticket);
            }
            if (transformer.Timing is { } timing) ledger.Observed(worker.WorkerId, plan.Predicted.QueueMs, timing.WaitMs);
            if (error == ForwarderError.None || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
            {
                decisions.Record(new SplitDecision(time.GetUtcNow(), context.TraceIdentifier, model, worker.WorkerId, size.Sequences, size.Tokens,
                    plan, context.Response.StatusCode, clock.Elapsed.TotalMilliseconds, decisionId) { WorkerTiming = transformer.Timing });
                // An identified client's split is awaited for feedback: the only way its measurements can reach its plans.
                if (clientId is not null && clientProfile is not null && wantsFrame && !plan.IsCloudOnly && context.Response.StatusCode == StatusCodes.Status200OK)
                {
                    outstanding.Add(decisionId, new IssuedDecision(clientId, model, plan.K, plan.N, worker.NEmbd, size, time.GetUtcNow(), Activity.Current?.Context ?? default)
                    {
                        Edge = clientProfile.Edge, Predicted = plan.Predicted, PlannedDownlinkMbps = clientProfile.DownlinkMbps,
                        WorkerTotalMs = transformer.Timing?.TotalMs, WorkerWaitMs = transformer.Timing?.WaitMs,
                    });
                }
                return;
            }
            tried.Add(worker.WorkerId);
            context.Response.Clear();
        }
        await Unavailable(context, tried.Count == 0
            ? $"no worker serving '{model}' is available"
            : $"worker(s) {string.Join(", ", tried)} failed before answering").ConfigureAwait(false);
    }

    private static bool Accepts(Microsoft.Extensions.Primitives.StringValues accept, string mediaType)
    {
        foreach (var value in accept)
        {
            if (value is not null && value.Contains(mediaType, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>The figures to plan this client with: its measured profile (its own feedback) over what its headers report.</summary>
    private ClientProfile? ClientFor(string? clientId, ClientProfile? reported)
    {
        if (reported is null || clientId is null) return reported;
        return PlanningProfile.Resolve(reported, profiles.Seen(clientId), time.GetUtcNow(), _fallbackCooldown, _profileTtl);
    }

    private SplitPlan Plan(WorkerSnapshot snapshot, WorkerHeartbeat worker, WorkerLoad load, ClientCapabilityProfile? capabilities, ClientProfile? client, PlanRequest size)
    {
        var profile = snapshot.Models.GetValueOrDefault(worker.Model);
        if (profile is null || profile.Revision != worker.Revision || !snapshot.RedisHealthy)
        {
            // No manifest yet, or live load unknown (Redis down): answer from the cloud.
            var minimal = new ModelProfile(worker.Model, worker.Revision, worker.NLayer, worker.NEmbd, [], [], "", 0);
            return planner.Plan(minimal, load, null, size) with { Reason = snapshot.RedisHealthy ? "no shard manifest yet" : "Redis unavailable: cloud-only" };
        }
        return planner.Plan(profile, load, client, size, capabilities?.Preference);
    }

    /// <summary>application/json, with or without parameters (charset); anything else (text/plain, a form, none) is refused.</summary>
    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed) && string.Equals(parsed.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase);

    private async Task Unavailable(HttpContext context, string detail)
    {
        context.Response.Headers.RetryAfter = _options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Refuse(context, ApiError.Unavailable(detail)).ConfigureAwait(false);
    }

    private static Task Refuse(HttpContext context, ApiError error) => ApiErrorResult.WriteAsync(context, error);
}
