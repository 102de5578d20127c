namespace SplitCompute.EdgeRuntime.Client;

/// <summary>Milliseconds of each stage as the edge client saw them, and the shard bytes it had to download.</summary>
public sealed record EdgeTimings(double RequestMs, double DownloadMs, long DownloadedBytes, double EdgeMs, double TotalMs);

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
}
