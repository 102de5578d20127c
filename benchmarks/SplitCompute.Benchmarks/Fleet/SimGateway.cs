using System.Diagnostics;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Feedback;
using SplitCompute.Gateway.Planning;
using SplitCompute.Gateway.Workers;
using SplitCompute.Protocol.Feedback;
using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Benchmarks.Fleet;

/// <summary>What the gateway decided for one request, kept until the worker answers.</summary>
internal sealed record GatewayDecision(string DecisionId, int WorkerIndex, SplitPlan Plan, OwnRequestLedger.Ticket Ticket, ClientProfile? Client);

/// <summary>
/// The gateway side with the REAL classes, in the order RequestPlanning and WorkerForwarding use them, without HTTP: the client's planning profile
/// (<see cref="PlanningProfile.Resolve"/> over <see cref="ClientProfileStore.Seen"/>), <see cref="WorkerSelector"/> over a
/// <see cref="WorkerSnapshot"/> refreshed from the published heartbeats (as WorkerRegistry does), the queue from
/// <see cref="OwnRequestLedger"/>, <see cref="SplitPlanner.Plan"/>, the ledger ticket; on the answer the ticket is finished and a
/// split is kept in <see cref="OutstandingDecisions"/> as an <see cref="IssuedDecision"/>; the edge's <see cref="EdgeFeedback"/>
/// is claimed and folded into the store as FeedbackEndpoint does. Wall-clock cost of Plan and of the whole decision is measured.
/// </summary>
internal sealed class SimGateway
{
    private static readonly string[] NoneTried = [];
    private readonly SimClock _clock;
    private readonly ModelShape _model;
    private readonly OwnRequestLedger _ledger;
    private readonly WorkerSelector _selector;
    private readonly SplitPlanner _planner = new(Options.Create(new PlannerOptions()));
    private readonly SplitPlanner _sloPlanner;
    private readonly ClientProfileStore _profiles;
    private readonly OutstandingDecisions _outstanding;
    private readonly TimeSpan _fallbackCooldown;
    private readonly TimeSpan _profileTtl;
    private readonly Dictionary<string, ModelProfile> _models;
    private readonly WorkerHeartbeat?[] _published;
    private readonly Dictionary<string, int> _workerIndex = new(StringComparer.Ordinal);
    private WorkerSnapshot _snapshot = WorkerSnapshot.Empty;
    private long _decisions;

    public SimGateway(SimClock clock, ModelShape model, int workers, bool measure, double latencySloMs)
    {
        _sloPlanner = new SplitPlanner(Options.Create(new PlannerOptions { LatencySloMs = latencySloMs }));
        _clock = clock;
        _model = model;
        _ledger = new OwnRequestLedger(clock);
        _selector = new WorkerSelector(_ledger);
        var feedback = new FeedbackOptions();
        _profiles = new ClientProfileStore(Options.Create(feedback), clock);
        _outstanding = new OutstandingDecisions(Options.Create(feedback), clock);
        _fallbackCooldown = TimeSpan.FromSeconds(feedback.FallbackCooldownSeconds);
        _profileTtl = TimeSpan.FromSeconds(feedback.ProfileTtlSeconds);
        _models = new Dictionary<string, ModelProfile>(StringComparer.Ordinal) { [model.Profile.Model] = model.Profile };
        _published = new WorkerHeartbeat?[workers];
        Measure = measure;
    }

    public bool Measure { get; }

    /// <summary>Wall-clock Stopwatch ticks of each SplitPlanner.Plan call (when measuring).</summary>
    public List<long> PlanTicks { get; } = [];

    /// <summary>Wall-clock Stopwatch ticks of each whole gateway-side decision: profile, selection, ledger queue, Plan, ledger ticket.</summary>
    public List<long> DecisionTicks { get; } = [];

    public int FeedbackAccepted { get; private set; }

    /// <summary>A worker's heartbeat lands in "Redis".</summary>
    public void Publish(int workerIndex, WorkerHeartbeat heartbeat)
    {
        _published[workerIndex] = heartbeat;
        _workerIndex[heartbeat.WorkerId] = workerIndex;
    }

    /// <summary>WorkerRegistry's refresh: an immutable snapshot of the live heartbeats, ordered by worker id.</summary>
    public void Refresh() =>
        _snapshot = new WorkerSnapshot([.. _published.OfType<WorkerHeartbeat>().OrderBy(w => w.WorkerId, StringComparer.Ordinal)], _models, RedisHealthy: true, _clock.GetUtcNow());

    public GatewayDecision Decide(SimClient client, PlanRequest size, Policy policy)
    {
        ArgumentNullException.ThrowIfNull(client);
        var start = Stopwatch.GetTimestamp();
        var profile = client.Reported is { } reported
            ? PlanningProfile.Resolve(reported, _profiles.Seen(client.Id), _clock.GetUtcNow(), _fallbackCooldown, _profileTtl)
            : null;
        var worker = _selector.Select(_snapshot, _model.Profile.Model, NoneTried) ?? throw new InvalidOperationException("no worker in the snapshot");
        var load = _snapshot.ToLoad(worker, _ledger.PredictQueueMs(worker));
        var planStart = Stopwatch.GetTimestamp();
        var plan = (policy == Policy.PlannerSlo ? _sloPlanner : _planner).Plan(_model.Profile, load, profile, size);
        var planEnd = Stopwatch.GetTimestamp();
        if (policy.BaselineK(profile is not null, plan.N) is { } k && k != plan.K)
        {
            var predicted = profile is null || k == plan.N ? plan.CloudOnly : _planner.Predict(_model.Profile, load, profile, size, k);
            plan = new SplitPlan(k, plan.N, predicted, plan.CloudOnly, (plan.N - k) * size.Rows * load.MsPerLayerToken, policy.Name()) { GpuWeight = plan.GpuWeight };
        }
        var ticket = _ledger.Started(worker.WorkerId, plan.Predicted.QueueMs, plan.Predicted.CloudMs);
        var end = Stopwatch.GetTimestamp();
        if (Measure)
        {
            PlanTicks.Add(planEnd - planStart);
            DecisionTicks.Add(end - start);
        }
        var id = (++_decisions).ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
        return new GatewayDecision(id, _workerIndex[worker.WorkerId], plan, ticket, profile);
    }

    /// <summary>The worker's answer has gone through the gateway to the client: the ticket ends; a client's split awaits feedback.</summary>
    public void Answered(GatewayDecision decision, SimClient client, PlanRequest size, SimJob job)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(job);
        _ledger.Finished(decision.Ticket);
        if (decision.Client is not { } profile || decision.Plan.IsCloudOnly) return;
        _outstanding.Add(decision.DecisionId, new IssuedDecision(client.Id, _model.Profile.Model, decision.Plan.K, decision.Plan.N, _model.Profile.Channels, size, _clock.GetUtcNow())
        {
            Edge = profile.Edge, Predicted = decision.Plan.Predicted, PlannedDownlinkMbps = profile.DownlinkMbps,
            WorkerTotalMs = job.DoneMs - job.ArrivedMs, WorkerWaitMs = Math.Max(0, job.DoneMs - job.ArrivedMs - job.BusyMs),
        });
    }

    /// <summary>POST /v1/feedback without HTTP: claimed by its own client, checked against the decision, folded into the profile.</summary>
    public void Feedback(string clientId, EdgeFeedback feedback)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        if (_outstanding.Claim(feedback.DecisionId, clientId, out var issued) != DecisionClaim.Claimed) return;
        if (issued!.K != feedback.K || issued.N != feedback.N || issued.Model != feedback.Model) return;
        _profiles.Record(issued, feedback);
        FeedbackAccepted++;
    }
}
