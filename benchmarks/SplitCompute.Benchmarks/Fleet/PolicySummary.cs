namespace SplitCompute.Benchmarks.Fleet;

/// <summary>
/// The figures of one run, several against the cloud-only run on the same arrivals: worker ms per request, end-to-end latency
/// percentiles, split rate per capable profile, realised / predicted GPU savings (realised = cloud-only's busy ms minus this
/// run's, predicted = the sum of the plans' GpuMsSaved), the share of capable clients' totals predicted within +-20% by the
/// client's request index, and the predicted queue against the worker's real wait (pass start, and effective: time to the
/// answer less the request's own cost alone; within 30% means |predicted - effective| <= max(1 ms, 30% of effective)).
/// </summary>
internal sealed record PolicySummary(
    Policy Policy, int Requests, int Unfinished, double WorkerMsPerRequest, double WorkerRatio, double P50, double P95, double P99, double P95Ratio,
    IReadOnlyDictionary<string, double> SplitRate, double MeanK, double SavingsRatio, double RealisedSavedMsPerRequest, double PredictedSavedMsPerRequest,
    double Within20First, double Within20Fifth, double Within20Twentieth, double Within20All, double Within20Splits,
    double PredictedQueueMean, double QueueMean, double EffectiveQueueMean, double QueueWithin30, double QueueMedianAbsErrorMs, double Utilisation)
{
    public static PolicySummary Of(RunResult run, RunResult cloud)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(cloud);
        var r = run.Requests;
        var latencies = r.Select(x => x.EndToEndMs).ToArray();
        Array.Sort(latencies);
        var cloudP95 = Percentiles.Of(cloud.Requests.Select(x => x.EndToEndMs), 95);
        var workerMs = run.WorkerBusyMs / Math.Max(1, r.Count);
        var cloudWorkerMs = cloud.WorkerBusyMs / Math.Max(1, cloud.Requests.Count);
        var split = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var kind in ClientKind.All.Where(k => k.Capable))
        {
            var mine = r.Where(x => x.Kind == kind).ToList();
            split[kind.Name] = mine.Count == 0 ? double.NaN : mine.Count(x => x.Split) / (double)mine.Count;
        }
        var capable = r.Where(x => x.Kind.Capable).ToList();
        var predictedSaved = r.Sum(x => x.PredictedGpuSavedMs);
        var realisedSaved = cloud.WorkerBusyMs - run.WorkerBusyMs;
        var queueErrors = r.Select(x => Math.Abs(x.PredictedQueueMs - x.EffectiveQueueMs)).ToArray();
        var span = r.Count == 0 ? 1 : Math.Max(1, r.Max(x => x.SentMs + x.EndToEndMs) - r.Min(x => x.SentMs));
        return new PolicySummary(run.Policy, r.Count, run.Unfinished, workerMs, workerMs / cloudWorkerMs,
            Percentiles.At(latencies, 50), Percentiles.At(latencies, 95), Percentiles.At(latencies, 99), Percentiles.At(latencies, 95) / cloudP95,
            split, capable.Count == 0 ? double.NaN : capable.Average(x => (double)x.K),
            predictedSaved > 0 ? realisedSaved / predictedSaved : double.NaN, realisedSaved / Math.Max(1, r.Count), predictedSaved / Math.Max(1, r.Count),
            Within(capable.Where(x => x.ClientRequestIndex == 1)), Within(capable.Where(x => x.ClientRequestIndex == 5)),
            Within(capable.Where(x => x.ClientRequestIndex == 20)), Within(capable), Within(capable.Where(x => x.Split)),
            r.Count == 0 ? 0 : r.Average(x => x.PredictedQueueMs), r.Count == 0 ? 0 : r.Average(x => x.QueueMs), r.Count == 0 ? 0 : r.Average(x => x.EffectiveQueueMs),
            r.Count == 0 ? double.NaN : r.Count(x => Math.Abs(x.PredictedQueueMs - x.EffectiveQueueMs) <= Math.Max(1, 0.3 * x.EffectiveQueueMs)) / (double)r.Count,
            Percentiles.Of(queueErrors, 50), run.WorkerBusyMs / (span * run.Config.Workers));
    }

    /// <summary>Share of requests whose end-to-end time was within +-20% of the predicted total; NaN when there are none.</summary>
    private static double Within(IEnumerable<RequestRecord> records)
    {
        int n = 0, hit = 0;
        foreach (var x in records)
        {
            n++;
            if (Math.Abs(x.EndToEndMs - x.PredictedTotalMs) <= 0.2 * x.EndToEndMs) hit++;
        }
        return n == 0 ? double.NaN : hit / (double)n;
    }
}
