namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// The size of one request's device work, what the cost model prices: its real tokens (embeddings) and its layer-rows,
/// k x rows, where rows = sequences x its own padded length (B_i x T_i).
/// </summary>
public readonly record struct RequestWork(long Tokens, long Rows, int K)
{
    public long LayerRows => Rows * K;

    public static RequestWork Of(Model.Forward.TokenBatch batch, int k)
    {
        ArgumentNullException.ThrowIfNull(batch);
        long tokens = 0;
        for (var b = 0; b < batch.BatchSize; b++) tokens += batch.ValidCount(b);
        return new RequestWork(tokens, (long)batch.BatchSize * batch.SequenceLength, k);
    }
}
