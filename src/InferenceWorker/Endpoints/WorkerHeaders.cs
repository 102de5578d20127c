namespace SplitCompute.InferenceWorker.Endpoints;

/// <summary>Headers between gateway and worker (not part of the client protocol).</summary>
public static class WorkerHeaders
{
    /// <summary>The split point the gateway chose: run layers [0, k). Absent: all layers (cloud-only).</summary>
    public const string SplitK = "X-SplitCompute-K";

    /// <summary>mean (default) or last.</summary>
    public const string Pooling = "X-SplitCompute-Pooling";

    /// <summary>Which worker answered, and its queue and compute time in milliseconds.</summary>
    public const string Worker = "X-SplitCompute-Worker";
    public const string WorkerTiming = "X-SplitCompute-Worker-Timing";

    /// <summary>On the worker's own loopback warm-up requests: left out of its metrics (honoured from loopback only).</summary>
    public const string WarmUp = "X-SplitCompute-Warm-Up";
}
