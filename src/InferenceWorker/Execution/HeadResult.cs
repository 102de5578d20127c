using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>Layers [0, K) applied to a batch; for K = N also the final norm and pooled embeddings.</summary>
public sealed record HeadResult(HiddenState Hidden, float[][]? Embeddings, double QueueMs, double ComputeMs);
