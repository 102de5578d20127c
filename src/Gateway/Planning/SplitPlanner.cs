using Microsoft.Extensions.Options;

namespace SplitCompute.Gateway.Planning;

/// <summary>
/// Chooses the split point k for one request (docs/split-planner.md). For every k it predicts
///   queue wait + cloud compute of k layers + hidden-state transfer + download of missing shards + edge compute of N-k layers,
/// and picks the smallest k (the most GPU time saved) whose prediction stays within the slack over cloud-only and under the
/// absolute limit. Pure and allocation-light: called on every request, it must stay in the microseconds.
/// </summary>
public sealed class SplitPlanner(IOptions<PlannerOptions> options)
{
    private readonly PlannerOptions _options = options.Value;

    public SplitPlan Plan(ModelProfile model, WorkerLoad worker, ClientProfile? client, PlanRequest request,
        SplitPreference preference = SplitPreference.Auto, int forcedK = -1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(worker);
        var n = model.Layers;
        var cloudOnly = PredictCloudOnly(model, worker, client, request);
        if (preference == SplitPreference.None) return new SplitPlan(n, n, cloudOnly, cloudOnly, 0, "client asked for split=none");
        if (client is null) return new SplitPlan(n, n, cloudOnly, cloudOnly, 0, "no usable capability headers");
        if (preference == SplitPreference.Forced && _options.AllowForcedSplit && forcedK >= 0 && forcedK <= n)
            return new SplitPlan(forcedK, n, Predict(model, worker, client, request, forcedK), cloudOnly, GpuMsSaved(worker, request, n - forcedK), "forced by the client");
        if (client.EdgeFellBackRecently) return new SplitPlan(n, n, cloudOnly, cloudOnly, 0, "the client's edge fell back to the cloud recently (feedback)");

        var budget = Math.Min((cloudOnly.TotalMs * (1 + _options.SlackFraction)) + _options.SlackMs, _options.MaxLatencyMs);
        // Walk k downward from N-1: the tail grows by one layer each step, so the download term accumulates as we go.
        var best = n;
        var bestPrediction = cloudOnly;
        var missingBytes = IsHeld(client, model.FinalNormHash, model.FinalNormPrefix) ? 0L : model.FinalNormBytes;
        for (var k = n - 1; k >= 0; k--)
        {
            if (!IsHeld(client, model.LayerShardHashes[k], model.LayerShardPrefixes[k])) missingBytes += model.LayerShardBytes[k];
            var prediction = Predict(model, worker, client, request, k, missingBytes);
            if (prediction.TotalMs <= budget)
            {
                best = k;
                bestPrediction = prediction;
            }
        }
        var reason = best == n
            ? $"no split fits within {budget:F1} ms (cloud-only {cloudOnly.TotalMs:F1} ms); client figures {client.Source}"
            : $"k={best} saves the most GPU time within {budget:F1} ms; client figures {client.Source}";
        return new SplitPlan(best, n, bestPrediction, cloudOnly, GpuMsSaved(worker, request, n - best), reason);
    }

    /// <summary>Prediction for one k, computing the missing-shard bytes itself (used for forced splits and tests).</summary>
    public StagePrediction Predict(ModelProfile model, WorkerLoad worker, ClientProfile client, PlanRequest request, int k)
    {
        var missing = 0L;
        if (k < model.Layers && !IsHeld(client, model.FinalNormHash, model.FinalNormPrefix)) missing += model.FinalNormBytes;
        for (var layer = k; layer < model.Layers; layer++)
        {
            if (!IsHeld(client, model.LayerShardHashes[layer], model.LayerShardPrefixes[layer])) missing += model.LayerShardBytes[layer];
        }
        return Predict(model, worker, client, request, k, missing);
    }

    private StagePrediction Predict(ModelProfile model, WorkerLoad worker, ClientProfile client, PlanRequest request, int k, long missingBytes)
    {
        var tail = model.Layers - k;
        var cloud = (request.Tokens * worker.EmbedMsPerToken) + (k * request.Rows * worker.MsPerLayerToken);
        var hiddenBytes = (double)request.Rows * model.Channels * _options.HiddenBytesPerElement;
        var transfer = client.RttMs + (hiddenBytes / BytesPerMs(client.DownlinkMbps));
        var download = missingBytes == 0 ? 0 : (missingBytes / BytesPerMs(client.DownlinkMbps)) + (missingBytes / (client.UploadGBps * 1e6));
        var edge = tail * LayerCost.Flops(model.Channels, request) / (client.Gflops * 1e6);
        return new StagePrediction(worker.BacklogMs, cloud, transfer, download, edge);
    }

    private static StagePrediction PredictCloudOnly(ModelProfile model, WorkerLoad worker, ClientProfile? client, PlanRequest request)
    {
        var cloud = (request.Tokens * worker.EmbedMsPerToken) + (model.Layers * request.Rows * worker.MsPerLayerToken);
        // The answer is B embeddings as JSON text (~12 bytes per number).
        var transfer = client is null ? 0 : client.RttMs + (request.Sequences * model.Channels * 12.0 / BytesPerMs(client.DownlinkMbps));
        return new StagePrediction(worker.BacklogMs, cloud, transfer, 0, 0);
    }

    private static double GpuMsSaved(WorkerLoad worker, PlanRequest request, int tailLayers) => tailLayers * request.Rows * worker.MsPerLayerToken;

    /// <summary>Megabits per second -> bytes per millisecond.</summary>
    private static double BytesPerMs(double mbps) => mbps * 125.0;

    /// <summary>A client names a shard by its full hash or its prefix (the edge client sends prefixes to keep headers small).</summary>
    private static bool IsHeld(ClientProfile client, string hash, string prefix) => client.HeldShards.Contains(prefix) || client.HeldShards.Contains(hash);
}
