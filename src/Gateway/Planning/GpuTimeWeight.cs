namespace SplitCompute.Gateway.Planning;

/// <summary>
/// How many milliseconds of one request's latency a millisecond of GPU time is worth. At utilisation u a server queue's delay grows
/// like u / (1 - u) (M/M/1), and so does the delay one more millisecond of work causes every request behind it: idle GPUs make
/// offloading worth little (latency wins), busy GPUs make it worth a lot (capable clients take more layers).
/// </summary>
public static class GpuTimeWeight
{
    public static double At(double utilisation, double idleWeight, double maxUtilisation)
    {
        var u = double.IsFinite(utilisation) ? Math.Clamp(utilisation, 0, maxUtilisation) : 0;
        return idleWeight + (u / (1 - u));
    }
}
