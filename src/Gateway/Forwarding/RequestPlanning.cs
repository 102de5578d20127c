using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Feedback;
using SplitCompute.Gateway.Models;
using SplitCompute.Gateway.Planning;
using SplitCompute.Gateway.Workers;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>Who asks (capabilities, client id and its measured profile) and what the answer's headers will warn about.</summary>
internal sealed record RequestClient(bool WantsFrame, ClientCapabilityProfile Capabilities, string? ClientId, ClientProfile? Profile, IReadOnlyList<string> Warnings);

/// <summary>
/// The second stage of POST /v1/embeddings: reads the client once (<see cref="Read"/>), then for each attempt picks the
/// least-loaded worker not yet tried and plans the split there (<see cref="Next"/>) with the queue this gateway predicts for it.
/// </summary>
internal sealed class RequestPlanning(
    WorkerSelector selector, SplitPlanner planner, CapabilityProfileCache capabilityCache, ClientProfileStore profiles,
    OwnRequestLedger ledger, IOptions<FeedbackOptions> feedbackOptions, TimeProvider time)
{
    private readonly TimeSpan _fallbackCooldown = TimeSpan.FromSeconds(feedbackOptions.Value.FallbackCooldownSeconds);
    private readonly TimeSpan _profileTtl = TimeSpan.FromSeconds(feedbackOptions.Value.ProfileTtlSeconds);

    public RequestClient Read(HttpRequest request)
    {
        var wantsFrame = Accepts(request.Headers.Accept, MediaTypes.HiddenState);
        var capabilities = capabilityCache.Read(request, wantsFrame);
        var clientId = ClientIdReader.ReadScoped(request.HttpContext, out var clientProblem);
        IReadOnlyList<string> warnings = clientProblem is null ? capabilities.Warnings : [.. capabilities.Warnings, clientProblem];
        return new RequestClient(wantsFrame, capabilities, clientId, ClientFor(clientId, wantsFrame ? capabilities.Client : null), warnings);
    }

    /// <summary>The next worker to try and the plan there; null when every worker serving the model has been tried.</summary>
    public (WorkerHeartbeat Worker, SplitPlan Plan)? Next(WorkerSnapshot snapshot, ResolvedModel model, IReadOnlyCollection<string> tried, RequestClient client, PlanRequest size)
    {
        var worker = selector.Select(snapshot, model.Model, tried, model.Revision);
        if (worker is null) return null;
        var load = snapshot.ToLoad(worker, ledger.PredictQueueMs(worker));
        return (worker, Plan(snapshot, worker, load, client.WantsFrame ? client.Capabilities : null, client.Profile, size));
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

    private static bool Accepts(Microsoft.Extensions.Primitives.StringValues accept, string mediaType)
    {
        foreach (var value in accept)
        {
            if (value is not null && value.Contains(mediaType, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }
}
