namespace SplitCompute.Benchmarks.Fleet;

/// <summary>
/// Throughput at saturation: the arrival rate is raised in steps of 15% until the queue grows without bound, and the highest
/// sustainable total rate (requests/s) is reported. A run is unsustainable when requests are still unfinished after the drain,
/// or when the mean wait (worker queue + the client's own edge queue) of the last quarter's arrivals exceeds 1.5x the second
/// quarter's plus 2x the mean cloud-only request alone (a stable queue does not trend; one over capacity grows linearly).
/// </summary>
internal static class Saturation
{
    private const double Step = 1.15;
    private const int MaxSteps = 24;

    public static (double Rate, int Steps) Find(FleetConfig template, Policy policy, double startRate, double aloneMs)
    {
        ArgumentNullException.ThrowIfNull(template);
        var best = 0.0;
        var rate = startRate;
        var steps = 0;
        for (; steps < MaxSteps; steps++, rate *= Step)
        {
            var run = FleetRun.Execute(template with { RatePerClient = rate / template.Clients }, policy);
            if (!Sustainable(run, aloneMs)) break;
            best = rate;
        }
        return (best, steps);
    }

    public static bool Sustainable(RunResult run, double aloneMs)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Unfinished > 0 || run.Requests.Count < 8) return run.Unfinished == 0;
        var start = run.Requests.Min(r => r.SentMs);
        var end = run.Requests.Max(r => r.SentMs);
        var quarter = (end - start) / 4;
        double Wait(int q) => run.Requests.Where(r => r.SentMs >= start + (q * quarter) && r.SentMs < start + ((q + 1) * quarter))
            .Select(r => r.QueueMs + r.EdgeWaitMs).DefaultIfEmpty(0).Average();
        return Wait(3) <= (1.5 * Wait(1)) + (2 * aloneMs);
    }
}
