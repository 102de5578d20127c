namespace SplitCompute.Cuda.Device;

/// <summary>
/// GPU time of one launch as a forward pass runs it: a CUDA graph of several launches (so the host's launch cost is not what
/// is timed), one warm-up replay, then the median of a few replays by CUDA events, divided by the launches.
/// </summary>
internal static class GraphTiming
{
    /// <param name="enqueue">Enqueues launch i (0 .. launches - 1) on the context's stream; it must not synchronise.</param>
    public static double MsPerLaunch(CudaContext context, string label, int launches, Action<int> enqueue, int replays = 5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(launches);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(replays);
        using var events = new CudaEventPair(context);
        using var graph = CudaGraph.Capture(context, label, () =>
        {
            for (var i = 0; i < launches; i++) enqueue(i);
        });
        graph.Launch();  // warm-up replay
        var times = new double[replays];
        for (var r = 0; r < replays; r++)
        {
            events.RecordStart();
            graph.Launch();
            events.RecordEnd();
            times[r] = events.ElapsedMs() / launches;
        }
        Array.Sort(times);
        return times[replays / 2];
    }
}
