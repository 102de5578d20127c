using System.Diagnostics;
using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.Benchmarks.Fleet;

/// <summary>The outcome of one simulated run of one policy.</summary>
internal sealed record RunResult(FleetConfig Config, Policy Policy, IReadOnlyList<RequestRecord> Requests, double WorkerBusyMs, long Passes,
    IReadOnlyList<long> PlanTicks, IReadOnlyList<long> DecisionTicks, long Events, double WallSeconds, int Unfinished, int FeedbackAccepted);

/// <summary>
/// One simulated run: workers publish heartbeats every 250 ms (phases spread), the gateway refreshes its snapshot every 200 ms,
/// clients send open-loop Poisson arrivals for <see cref="FleetConfig.Seconds"/>, and the fleet then drains.
/// A request: half the client's round trip to the gateway (which decides and forwards at once: co-located with the workers), the
/// worker's queue and pass, the answer over the client's true downlink (hidden state f32 for a split, JSON for cloud-only) and
/// the other half round trip; for a split then the missing shards (bytes / true downlink), the edge (one tail at a time: load
/// when not resident, compute, overhead), the feedback half a round trip later.
/// </summary>
internal sealed class FleetRun
{
    private const double HeartbeatMs = 250;
    private const double RefreshMs = 200;
    private const double FirstArrivalMs = 500;
    private readonly FleetConfig _config;
    private readonly Policy _policy;
    private readonly SimClock _clock = new();
    private readonly EventQueue _events;
    private readonly SimGateway _gateway;
    private readonly SimWorker[] _workers;
    private readonly SimClient[] _clients;
    private readonly List<RequestRecord> _records = [];
    private readonly double _endMs;
    private int _outstanding;

    private FleetRun(FleetConfig config, Policy policy)
    {
        _config = config;
        _policy = policy;
        _events = new EventQueue(_clock);
        _gateway = new SimGateway(_clock, config.Model, config.Workers, config.MeasureCost, config.LatencySloMs);
        _workers = [.. Enumerable.Range(0, config.Workers).Select(i => new SimWorker($"w{i:d4}", config.Speed, _events) { EmbedsOutsideQueue = config.EmbedsOutsideQueue })];
        _clients = [.. Enumerable.Range(0, config.Clients).Select(i => new SimClient(i, config.KindOf(i), config.RatePerClient, config.Seed, config.Model,
            config.CapableHoldShards && config.KindOf(i).Capable))];
        _endMs = FirstArrivalMs + (config.Seconds * 1_000);
    }

    public static RunResult Execute(FleetConfig config, Policy policy)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new FleetRun(config, policy).Run();
    }

    private RunResult Run()
    {
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < _workers.Length; i++)
        {
            var index = i;
            _events.At(index * HeartbeatMs / _workers.Length, () => Heartbeat(index));
        }
        _events.At(HeartbeatMs, Refresh);
        foreach (var client in _clients) _events.At(FirstArrivalMs + client.NextInterarrivalMs(), () => Arrive(client));
        _events.RunUntil(_endMs);
        // Drain: heartbeats and refreshes keep running while answers are outstanding.
        var drainEnd = _endMs + (_config.DrainSeconds * 1_000);
        while (_outstanding > 0 && _clock.NowMs < drainEnd) _events.RunUntil(Math.Min(drainEnd, _clock.NowMs + 1_000));
        return new RunResult(_config, _policy, _records, _workers.Sum(w => w.TotalBusyMs), _workers.Sum(w => w.Passes), _gateway.PlanTicks,
            _gateway.DecisionTicks, _events.Executed, wall.Elapsed.TotalSeconds, _outstanding, _gateway.FeedbackAccepted);
    }

    private void Heartbeat(int index)
    {
        _gateway.Publish(index, _workers[index].Heartbeat(_config.Model));
        _events.After(HeartbeatMs, () => Heartbeat(index));
    }

    private void Refresh()
    {
        _gateway.Refresh();
        _events.After(RefreshMs, Refresh);
    }

    private void Arrive(SimClient client)
    {
        if (_clock.NowMs > _endMs) return;
        var sent = _clock.NowMs;
        var size = client.NextSize();
        var index = ++client.Sent;
        _events.After(client.NextInterarrivalMs(), () => Arrive(client));
        _outstanding++;
        _events.After(client.RttMs / 2, () => AtGateway(client, size, index, sent));
    }

    private void AtGateway(SimClient client, PlanRequest size, int index, double sent)
    {
        var decision = _gateway.Decide(client, size, _policy);
        var job = new SimJob(size.Tokens, size.Rows, decision.Plan.K, job => Answered(client, size, index, sent, decision, job));
        _workers[decision.WorkerIndex].Submit(job);
    }

    private void Answered(SimClient client, PlanRequest size, int index, double sent, GatewayDecision decision, SimJob job)
    {
        var plan = decision.Plan;
        var channels = _config.Model.Profile.Channels;
        var bytes = plan.IsCloudOnly ? size.Sequences * channels * 12.0 : (double)size.Rows * channels * 4;
        var transferMs = bytes / (client.TrueDownlinkMbps * 125);
        _events.After(transferMs, () => _gateway.Answered(decision, client, size, job));
        _events.After(transferMs + (client.RttMs / 2), () => AtClient(client, size, index, sent, decision, job));
    }

    private void AtClient(SimClient client, PlanRequest size, int index, double sent, GatewayDecision decision, SimJob job)
    {
        var plan = decision.Plan;
        var now = _clock.NowMs;
        if (plan.IsCloudOnly)
        {
            Record(client, index, sent, now, plan, job, 0);
            return;
        }
        var model = _config.Model;
        var (tailBytes, missing, allResident) = client.Tail(model, plan.K);
        var downloadMs = missing / (client.TrueDownlinkMbps * 125);
        var ready = now + downloadMs;
        var edgeStart = Math.Max(ready, client.EdgeFreeAtMs);
        var kind = client.Kind;
        var loadMs = allResident ? 0 : (kind.LoadFixedMs + (tailBytes / 1e6 * client.LoadMsPerMb)) * client.Noise();
        var gflop = (plan.N - plan.K) * LayerCost.Flops(model.Profile.Channels, size) / 1e9;
        var computeMs = (kind.ComputeFixedMs + (gflop * 1_000 / client.TrueGflops)) * client.Noise();
        var end = edgeStart + loadMs + computeMs + (kind.OverheadMs * client.Noise());
        client.EdgeFreeAtMs = end;
        client.Keep(model, plan.K);
        var feedback = new EdgeFeedback(decision.DecisionId, model.Profile.Model, plan.K, plan.N, now - sent, downloadMs, missing,
            loadMs + computeMs, end - sent, FellBack: false, WeightsLoaded: loadMs > 0, LoadMs: loadMs, LoadedBytes: loadMs > 0 ? tailBytes : 0);
        _events.At(end, () => Record(client, index, sent, end, plan, job, edgeStart - ready));
        _events.At(end + (client.RttMs / 2), () => _gateway.Feedback(client.Id, feedback));
    }

    private void Record(SimClient client, int index, double sent, double end, SplitPlan plan, SimJob job, double edgeWaitMs)
    {
        _outstanding--;
        _records.Add(new RequestRecord(client.Kind, client.Index, client.Kind.Capable ? client.ReportedGflops / client.TrueGflops : 1, index, plan.K, plan.N, sent, end - sent, plan.Predicted.TotalMs, plan.Predicted.QueueMs, job.QueueMs,
            Math.Max(0, job.DoneMs - job.ArrivedMs - _config.Speed.AloneMs(job.Tokens, job.Rows, job.K)),
            job.BusyMs, plan.GpuMsSaved, edgeWaitMs));
    }
}
