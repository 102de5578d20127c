namespace SplitCompute.Benchmarks.FleetRun;

/// <summary>
/// One request of the fleet run as its client saw it: the split, its total time, what the worker said it cost (busy, cloud-only
/// estimate, time spent on other requests' work), and the gateway's predictions (total, queue, GPU time saved) from X-SplitCompute-Predicted.
/// </summary>
internal sealed record RequestRecord(
    string Profile, int Client, int Index, int K, int N, double TotalMs, bool FellBack, bool Failed,
    double? BusyMs, double? FullMs, double? WorkerWaitMs, double? PredictedTotalMs, double? PredictedQueueMs, double? PredictedSavedMs)
{
    public bool Split => K < N && !FellBack && !Failed;

    /// <summary>Reads the planner's predictions from an X-SplitCompute-Predicted value ("queue-ms=1.2, ..., total-ms=9"); null when absent.</summary>
    public static double? Predicted(string? header, string key)
    {
        if (header is null) return null;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && part.AsSpan(0, eq).SequenceEqual(key) && double.TryParse(part.AsSpan(eq + 1), System.Globalization.CultureInfo.InvariantCulture, out var value))
                return value;
        }
        return null;
    }
}
