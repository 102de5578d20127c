namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>One pass's per-request results, in the order the requests were given, and what the pass measured.</summary>
public sealed record PassResult(HeadResult[] Results, PassMeasure Measure);
