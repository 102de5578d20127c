namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>
/// Splits a measured time over the requests that shared it, in proportion to a weight (tokens for the embedding, rows for a
/// stage of blocks, row-layers for a whole device pass). The shares add up to the time: nothing measured is lost or invented.
/// </summary>
public static class BusyShares
{
    /// <summary>Adds to <paramref name="busy"/>[i] its share of <paramref name="ms"/> for i in [0, <paramref name="count"/>); equal shares when every weight is 0.</summary>
    public static void Add(double[] busy, long[] weights, int count, double ms)
    {
        ArgumentNullException.ThrowIfNull(busy);
        ArgumentNullException.ThrowIfNull(weights);
        if (count <= 0 || ms <= 0) return;
        double total = 0;
        for (var i = 0; i < count; i++) total += weights[i];
        for (var i = 0; i < count; i++) busy[i] += total > 0 ? ms * weights[i] / total : ms / count;
    }
}
