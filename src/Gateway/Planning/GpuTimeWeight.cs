namespace SplitCompute.Gateway.Planning;

/// <summary>
/// How many milliseconds of one request's latency a millisecond of GPU time is worth. At utilisation u a server queue's delay grows
/// like u / (1 - u) (M/M/1), and so does the delay one more millisecond of work causes every request behind it: idle GPUs make
/// offloading worth little (latency wins), busy GPUs make it worth a lot (capable clients take more layers).
/// </summary>
public static class GpuTimeWeight
{
    /// <summary>
    /// The utilisation to plan with: the busy share the workers measured, or what the queue in front of this request reveals if
    /// that is more (a queue builds before a 5 s busy average catches up). For M/M/1 the wait is W = S u / (1 - u) for a
    /// service time S, so u = W / (W + S); the request's own cloud-only time stands in for S.
    /// </summary>
    public static double Utilisation(double measured, double queueMs, double serviceMs)
    {
        var fromQueue = queueMs > 0 && serviceMs > 0 ? queueMs / (queueMs + serviceMs) : 0;
        return Math.Max(double.IsFinite(measured) ? measured : 0, double.IsFinite(fromQueue) ? fromQueue : 0);
    }

    public static double At(double utilisation, double idleWeight, double maxUtilisation)
    {
        var u = double.IsFinite(utilisation) ? Math.Clamp(utilisation, 0, maxUtilisation) : 0;
        return idleWeight + (u / (1 - u));
    }

    /// <summary>
    /// The weight for a request that finds <paramref name="queueMs"/> of work ahead and would itself take
    /// <paramref name="serviceMs"/>: from the measured busy share (capped, as <see cref="At"/>), or, when the queue says more, W / S,
    /// the number of requests of this size waiting, each of which a millisecond saved now brings forward by a millisecond. That
    /// part has no cap: a saturated fleet's queue grows without bound, and so does what its GPU time is worth.
    /// </summary>
    public static double For(double measuredUtilisation, double queueMs, double serviceMs, double idleWeight, double maxUtilisation)
    {
        var measured = At(measuredUtilisation, idleWeight, maxUtilisation);
        var waiting = queueMs > 0 && serviceMs > 0 ? idleWeight + (queueMs / serviceMs) : 0;
        return Math.Max(measured, double.IsFinite(waiting) ? waiting : measured);
    }
}
