using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>One request inside a coalesced batch: its own sequences, its own split point k, its own pooling.</summary>
public sealed record BatchItem(TokenBatch Batch, int K, Pooling Pooling)
{
    /// <summary>Whose request it is, for fairness only (<see cref="FairOrder"/>); "" for requests without a label.</summary>
    public string Tenant { get; init; } = "";

    /// <summary>Fires when its caller has gone away: a pass whose remaining rows are all aborted stops at the next layer.</summary>
    public CancellationToken Aborted { get; init; }
}
