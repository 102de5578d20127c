using System.Globalization;

namespace SplitCompute.Benchmarks.FleetRun;

/// <summary>What one (load, policy) run measured, printed as one row plus per-profile split rates and prediction errors.</summary>
internal sealed record FleetReport(string Policy, int Clients, double Seconds, IReadOnlyList<RequestRecord> Records)
{
    private IEnumerable<RequestRecord> Done => Records.Where(r => !r.Failed);

    public double Throughput => Done.Count() / Seconds;

    /// <summary>Mean worker busy milliseconds per completed request (what the worker measured and attributed).</summary>
    public double WorkerMsPerRequest => Done.Where(r => r.BusyMs is not null).Select(r => r.BusyMs!.Value).DefaultIfEmpty(0).Average();

    public double Percentile(double p)
    {
        var sorted = Done.Select(r => r.TotalMs).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
    }

    /// <summary>Realised over predicted GPU savings: sum of (cloud-only estimate - busy) over the sum of gpu-ms-saved predicted.</summary>
    public double RealisedOverPredicted
    {
        get
        {
            var splits = Done.Where(r => r.Split && r.FullMs is not null && r.PredictedSavedMs is > 0).ToList();
            var predicted = splits.Sum(r => r.PredictedSavedMs!.Value);
            return predicted == 0 ? double.NaN : splits.Sum(r => Math.Max(0, r.FullMs!.Value - r.BusyMs!.Value)) / predicted;
        }
    }

    public string SplitRates() => string.Join(", ", Done.GroupBy(r => r.Profile).OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {100.0 * g.Count(r => r.Split) / g.Count():F0}% of {g.Count()}")));

    /// <summary>Share of split requests whose total was within 20% of its prediction, counting requests from a client's 5th on.</summary>
    public string TotalWithin20() => Within(Done.Where(r => r.Split && r.PredictedTotalMs is > 0 && r.Index >= 5), r => (r.TotalMs, r.PredictedTotalMs!.Value), 0.2, 0);

    /// <summary>Share of requests whose predicted queue was within 30% (or 2 ms) of the queue the worker measured.</summary>
    public string QueueWithin30() => Within(Done.Where(r => r.WorkerWaitMs is not null && r.PredictedQueueMs is not null), r => (r.WorkerWaitMs!.Value, r.PredictedQueueMs!.Value), 0.3, 2);

    private static string Within(IEnumerable<RequestRecord> records, Func<RequestRecord, (double Observed, double Predicted)> pick, double fraction, double absoluteMs)
    {
        var pairs = records.Select(pick).ToList();
        if (pairs.Count == 0) return "n/a";
        var ok = pairs.Count(p => Math.Abs(p.Observed - p.Predicted) <= Math.Max(fraction * p.Observed, absoluteMs));
        var ratios = pairs.Where(p => p.Predicted > 0).Select(p => p.Observed / p.Predicted).Order().ToArray();
        var median = ratios.Length == 0 ? double.NaN : ratios[ratios.Length / 2];
        return string.Create(CultureInfo.InvariantCulture, $"{100.0 * ok / pairs.Count:F0}% of {pairs.Count} (median observed/predicted {median:F2})");
    }

    public string Row(FleetReport? cloudOnly) => string.Create(CultureInfo.InvariantCulture,
        $"{Clients,4} {Policy,-12} {Done.Count(),6} {Records.Count(r => r.Failed),4} {Throughput,7:F2} {WorkerMsPerRequest,9:F1} " +
        $"{(cloudOnly is null ? "" : (WorkerMsPerRequest / cloudOnly.WorkerMsPerRequest).ToString("F2", CultureInfo.InvariantCulture)),6} " +
        $"{Percentile(50),8:F0} {Percentile(95),8:F0} {Percentile(99),8:F0} " +
        $"{(cloudOnly is null ? "" : (Percentile(95) / cloudOnly.Percentile(95)).ToString("F2", CultureInfo.InvariantCulture)),6} {RealisedOverPredicted,6:F2}");

    public const string Header = "clients policy         done fail   req/s worker_ms  vs_co   p50_ms   p95_ms   p99_ms p95_co real/pred";
}
