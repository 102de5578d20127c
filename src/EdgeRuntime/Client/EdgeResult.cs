namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// Milliseconds of each stage as the edge client saw them, and the shard bytes it had to download. <see cref="LoadMs"/> is the
/// part of <see cref="EdgeMs"/> spent reading, verifying and binding/uploading tail weights that were not resident, and
/// <see cref="LoadedBytes"/> their size (0 when the tail ran on resident weights).
/// </summary>
public sealed record EdgeTimings(double RequestMs, double DownloadMs, long DownloadedBytes, double EdgeMs, double TotalMs,
    double LoadMs = 0, long LoadedBytes = 0);

/// <summary>
/// Embeddings and how they were made: split point k of n, which worker, the backend that ran the tail, and whether the edge
/// failed and the answer came from the cloud instead (<see cref="FallbackReason"/> says why).
/// </summary>
public sealed record EdgeResult(
    float[][] Embeddings, int K, int N, string? Worker, string Backend, EdgeTimings Timings,
    string? Decision, string? Predicted, IReadOnlyList<string> Warnings, string? FallbackReason)
{
    public bool FellBack => FallbackReason is not null;

    /// <summary>The adapter the edge runs its tail on (or why there is none), as the client's probe found it.</summary>
    public string? Adapter { get; init; }

    /// <summary>What became of the timings reported to the gateway: "accepted", why not, or null when none were due (cloud-only).</summary>
    public string? Feedback { get; init; }

    /// <summary>
    /// One-time cost this request paid before it was sent, included in <see cref="EdgeTimings.TotalMs"/>: on a client's first
    /// request, the warm-up from <see cref="EdgeOptions.WarmupSince"/> (runtime start-up, client set-up) and everything before the
    /// request left (the WebGPU probe when the machine had none cached, the first RTT measurement); 0 on later requests.
    /// </summary>
    public double WarmupMs { get; init; }

    /// <summary>What the worker said the request cost it (X-SplitCompute-Worker-Ms): busy and cloud-only milliseconds, its queue.</summary>
    public Protocol.Workers.WorkerTiming? WorkerTiming { get; init; }

    /// <summary>How long this request waited for the WebGPU probe: only the first on a machine with no cached probe; else 0.</summary>
    public double ProbeWaitMs { get; init; }
}
