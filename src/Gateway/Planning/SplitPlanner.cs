using System.Globalization;
using Microsoft.Extensions.Options;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Gateway.Planning;

/// <summary>
/// Chooses the split point k for one request (docs/split-planner.md). For every k it predicts
///   latency(k) = queue + cloud(k) + transfer + download(k) + load(k) + edge(k) + overhead
/// and picks the k of least cost(k) = latency'(k) + w_gpu x cloud(k) + w_energy x (load(k) + edge(k)), where latency' spreads the
/// shard download over the shards' expected reuse, w_gpu grows with the workers' utilisation (<see cref="GpuTimeWeight"/>) and
/// w_energy is non-zero for a client on battery. A split is eligible when latency'(k) stays within the slack over cloud-only or
/// within the deployment's latency objective (<see cref="PlannerOptions.LatencySloMs"/>, below which latency costs nothing); there
/// is no absolute cap, so a split that beats cloud-only is never refused. Pure and allocation-light: called on every
/// request, it must stay in the microseconds.
/// </summary>
public sealed class SplitPlanner(IOptions<PlannerOptions> options)
{
    private readonly PlannerOptions _options = options.Value;

    /// <param name="preference">What the client asked for (X-SplitCompute-Split); null: auto.</param>
    public SplitPlan Plan(ModelProfile model, WorkerLoad worker, ClientProfile? client, PlanRequest request, SplitPreference? preference = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(worker);
        preference ??= SplitPreference.Auto;
        var n = model.Layers;
        var cloudOnly = PredictCloudOnly(model, worker, client, request);
        var gpuWeight = GpuTimeWeight.For(worker.Utilisation, worker.QueueMs, cloudOnly.CloudMs, _options.IdleGpuWeight, _options.MaxUtilisation);
        SplitPlan CloudOnly(string reason) => new(n, n, cloudOnly, cloudOnly, 0, reason) { GpuWeight = gpuWeight };
        if (preference.IsNone) return CloudOnly("client asked for split=none");
        if (client is null) return CloudOnly("no usable capability headers");
        if (preference.ForcedK is { } forcedK && _options.AllowForcedSplit && forcedK <= n)
            return new SplitPlan(forcedK, n, Predict(model, worker, client, request, forcedK), cloudOnly, GpuMsSaved(worker, request, n - forcedK), "forced by the client") { GpuWeight = gpuWeight };
        if (client.EdgeFellBackRecently) return CloudOnly("the client's edge fell back to the cloud recently (feedback)");
        if (client.Energy is { OnBattery: true, SaveEnergy: true }) return CloudOnly("the client is on battery and asked to save energy");

        var energyWeight = client.Energy is { OnBattery: true } or { SaveEnergy: true } ? _options.BatteryEdgeWeight : 0;
        var reuse = ExpectedReuse(client);
        // A client the gateway has never measured may be faster than it says; without a split it can never show it. So now and
        // then (every ExploreEvery-th request, until its first feedback) it gets the best split within a wider budget.
        var probe = IsProbe(client);
        var slo = _options.LatencySloMs;
        var budget = Math.Max(slo, (cloudOnly.TotalMs * (1 + (probe ? _options.ProbeSlackFraction : _options.SlackFraction))) + _options.SlackMs);
        var best = n;
        var bestPrediction = cloudOnly;
        var bestCost = probe ? double.PositiveInfinity : Math.Max(slo, cloudOnly.TotalMs) + (gpuWeight * cloudOnly.CloudMs);
        // Walk k downward from N-1: the tail grows by one layer each step, so its bytes and residency accumulate as we go.
        var tail = new TailState(model, client);
        for (var k = n - 1; k >= 0; k--)
        {
            tail.Grow(k);
            var prediction = Predict(model, worker, client, request, k, tail);
            var latency = prediction.TotalMs - prediction.DownloadMs + (prediction.DownloadMs / reuse);
            if (latency > budget) continue;
            var cost = Math.Max(slo, latency) + (gpuWeight * prediction.CloudMs) + (energyWeight * (prediction.LoadMs + prediction.EdgeMs));
            if (cost <= bestCost)  // ties go to the smaller k: the same latency for less GPU time
            {
                (best, bestPrediction, bestCost) = (k, prediction, cost);
            }
        }
        var reason = best == n
            ? string.Create(CultureInfo.InvariantCulture, $"cloud-only is cheapest (GPU weight {gpuWeight:0.##}, budget {budget:F1} ms{Slo(slo)}); client figures {client.Source}")
            : string.Create(CultureInfo.InvariantCulture,
                $"k={best} is {(probe ? "a probe split to measure this client's edge" : "cheapest")} (GPU weight {gpuWeight:0.##}, budget {budget:F1} ms{Slo(slo)}); client figures {client.Source}");
        return new SplitPlan(best, n, bestPrediction, cloudOnly, GpuMsSaved(worker, request, n - best), reason) { GpuWeight = gpuWeight };
    }

    /// <summary>Prediction for one k, walking its tail itself (used for forced splits and tests).</summary>
    public StagePrediction Predict(ModelProfile model, WorkerLoad worker, ClientProfile client, PlanRequest request, int k)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tail = new TailState(model, client);
        for (var layer = model.Layers - 1; layer >= k; layer--) tail.Grow(layer);
        return Predict(model, worker, client, request, k, tail);
    }

    private StagePrediction Predict(ModelProfile model, WorkerLoad worker, ClientProfile client, PlanRequest request, int k, TailState tail)
    {
        var layers = model.Layers - k;
        var cloud = (request.Tokens * worker.EmbedMsPerToken) + (k * request.Rows * worker.MsPerLayerToken);
        var hiddenBytes = (double)request.Rows * model.Channels * _options.HiddenBytesPerElement;
        var transfer = client.RttMs + (hiddenBytes / BytesPerMs(client.DownlinkMbps));
        var download = tail.MissingBytes == 0 ? 0 : tail.MissingBytes / BytesPerMs(client.DownlinkMbps);
        var edgeModel = client.Edge;
        var edge = edgeModel.ComputeMs(layers * LayerCost.Flops(model.Channels, request) / 1e9);
        var load = tail.AllResident ? 0 : edgeModel.LoadMs(tail.Bytes / 1e6);
        // A worker that answers embeddings-only requests from host memory runs them outside its device queue: no wait.
        var queue = k == 0 && worker.EmbedsOutsideQueue ? 0 : worker.QueueMs;
        return new StagePrediction(queue, cloud, transfer, download, edge) { LoadMs = load, OverheadMs = edgeModel.OverheadMs };
    }

    private static StagePrediction PredictCloudOnly(ModelProfile model, WorkerLoad worker, ClientProfile? client, PlanRequest request)
    {
        var cloud = (request.Tokens * worker.EmbedMsPerToken) + (model.Layers * request.Rows * worker.MsPerLayerToken);
        // The answer is B embeddings as JSON text (~12 bytes per number).
        var transfer = client is null ? 0 : client.RttMs + (request.Sequences * model.Channels * 12.0 / BytesPerMs(client.DownlinkMbps));
        return new StagePrediction(worker.QueueMs, cloud, transfer, 0, 0);
    }

    private static string Slo(double slo) => slo > 0 ? string.Create(CultureInfo.InvariantCulture, $", latency objective {slo:F0} ms") : "";

    /// <summary>Whether this request should probe an unmeasured client's edge (<see cref="PlannerOptions.ProbeEvery"/>).</summary>
    private bool IsProbe(ClientProfile client) =>
        !client.EdgeMeasured && _options.ProbeEvery > 0 && client.RequestsSeen > 0 && client.RequestsSeen % _options.ProbeEvery == 0;

    /// <summary>Requests a download now is expected to serve: about as many as the client made so far (at least this one).</summary>
    private double ExpectedReuse(ClientProfile client) => Math.Clamp(client.RequestsSeen + 1, 1, _options.MaxExpectedReuse);

    private static double GpuMsSaved(WorkerLoad worker, PlanRequest request, int tailLayers) => tailLayers * request.Rows * worker.MsPerLayerToken;

    /// <summary>Megabits per second -> bytes per millisecond.</summary>
    private static double BytesPerMs(double mbps) => mbps * 125.0;

    /// <summary>The tail [k, N) plus the final norm as k walks down: its shard bytes, those the client lacks, and whether all are resident.</summary>
    private struct TailState(ModelProfile model, ClientProfile client)
    {
        private bool _started;

        public long Bytes { get; private set; }

        public long MissingBytes { get; private set; }

        public bool AllResident { get; private set; } = true;

        public void Grow(int layer)
        {
            if (!_started)
            {
                _started = true;
                if (model.FinalNormHash is not null) Add(model.FinalNormHash, model.FinalNormPrefix!, model.FinalNormBytes);
            }
            Add(model.LayerShardHashes[layer], model.LayerShardPrefixes[layer], model.LayerShardBytes[layer]);
        }

        private void Add(string hash, string prefix, long bytes)
        {
            Bytes += bytes;
            if (!Holds(client.HeldShards, hash, prefix)) MissingBytes += bytes;
            if (!Holds(client.ResidentShards, hash, prefix)) AllResident = false;
        }

        /// <summary>A client names a shard by its full hash or its prefix (the edge client sends prefixes to keep headers small).</summary>
        private static bool Holds(IReadOnlySet<string> set, string hash, string prefix) => set.Count > 0 && (set.Contains(prefix) || set.Contains(hash));
    }
}
