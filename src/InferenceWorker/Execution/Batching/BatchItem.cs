using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>One request inside a coalesced batch: its own sequences, its own split point k, its own pooling.</summary>
public sealed record BatchItem(TokenBatch Batch, int K, Pooling Pooling);
