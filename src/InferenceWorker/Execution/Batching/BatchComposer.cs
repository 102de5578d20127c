namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>
/// How many waiting requests, in arrival order, fit one forward pass: merged, every sequence is padded to the longest, so the
/// cost is (sequences in total) x (longest sequence) tokens, which must stay within the budget. The first request is always
/// taken, even alone over the budget (it could never run otherwise).
/// </summary>
public static class BatchComposer
{
    public static int CountToTake(IReadOnlyList<BatchItem> waiting, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        if (waiting.Count == 0) return 0;
        int sequences = 0, longest = 0;
        for (var i = 0; i < waiting.Count; i++)
        {
            var nextSequences = sequences + waiting[i].Batch.BatchSize;
            var nextLongest = Math.Max(longest, waiting[i].Batch.SequenceLength);
            if (i > 0 && (long)nextSequences * nextLongest > maxTokens) return i;
            (sequences, longest) = (nextSequences, nextLongest);
        }
        return waiting.Count;
    }
}
