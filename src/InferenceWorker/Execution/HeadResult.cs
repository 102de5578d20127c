using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// Layers [0, K) applied to a batch; for K = N also the final norm and pooled embeddings. QueueMs: waiting for a pass;
/// ComputeMs: from the pass's start until this request's rows were ready.
/// </summary>
public sealed record HeadResult(HiddenState Hidden, float[][]? Embeddings, double QueueMs, double ComputeMs)
{
    /// <summary>Device time attributed to this request: its token share of the embedding plus its row share of every stage it was in.</summary>
    public double BusyMs { get; init; }

    /// <summary>The embedding part of <see cref="BusyMs"/>.</summary>
    public double EmbedMs { get; init; }

    /// <summary>The worker's estimate of what this request would have cost through all N layers (<see cref="WorkerStats.FullMs"/>).</summary>
    public double FullMs { get; init; }
}
