namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>
/// One pass's per-request results, in the order the requests were given, and what the pass measured. <see cref="Stopped"/>:
/// requests whose callers had all gone away, cut short at a layer boundary (their results are partial and go nowhere).
/// </summary>
public sealed record PassResult(HeadResult[] Results, PassMeasure Measure)
{
    public int Stopped { get; init; }
}
