using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>
/// A batch on an <see cref="IMultiExitBackend"/>: one call, the hidden state stays on the device, and each request's rows come
/// back once, at its own k. The items arrive deepest k first, so the device can run each later stage on the active prefix only.
/// Without per-stage timing the pass's time is charged in proportion to each request's row-layers (rows x k).
/// Legend: B sequences, T tokens, C channels.
/// </summary>
internal static class DeviceBatch
{
    public static PassResult Run(IMultiExitBackend backend, BatchItem[] items, TokenBatch merged, int[] offsets, double[] queueMs, TimeProvider time)
    {
        var n = backend.Shape.Layers;
        var start = time.GetTimestamp();
        var rows = backend.RunToExits(merged, [.. items.Select((item, i) => new LayerExit(item.K, offsets[i], item.Batch.BatchSize))]);
        var ms = time.GetElapsedTime(start).TotalMilliseconds;
        var c = backend.Shape.Channels;
        var rowLayers = items.Select(i => (long)i.Batch.BatchSize * i.Batch.SequenceLength * i.K).ToArray();
        var busy = new double[items.Length];
        if (rowLayers.Sum() > 0) BusyShares.Add(busy, rowLayers, items.Length, ms);
        else BusyShares.Add(busy, [.. items.Select(i => RequestWork.Of(i.Batch, i.K).Tokens)], items.Length, ms);  // all k = 0: only embeddings ran
        var results = new HeadResult[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var own = items[i].Batch;
            var data = new float[(long)own.BatchSize * own.SequenceLength * c];                 // (B_i, T_i, C) from (B_i, T_max, C)
            for (var b = 0; b < own.BatchSize; b++)
                rows[i].AsSpan(b * merged.SequenceLength * c, own.SequenceLength * c).CopyTo(data.AsSpan(b * own.SequenceLength * c));
            var hidden = new HiddenState(own, c, data, items[i].K);
            results[i] = new HeadResult(hidden, items[i].K == n ? Pooler.Pool(hidden, items[i].Pooling) : null, queueMs[i], ms) { BusyMs = busy[i] };
        }
        // The embedding is inside the pass and negligible next to the blocks: all of it counts as block time over the rows the
        // device kept active stage by stage (T stays the merged T on the device).
        long layerRows = 0;
        var done = 0;
        foreach (var k in items.Select(i => i.K).Distinct().Order())
        {
            var active = items.Where(i => i.K >= k).Sum(i => i.Batch.BatchSize);
            layerRows += (long)active * merged.SequenceLength * (k - done);
            done = k;
        }
        return new PassResult(results, new PassMeasure(0, 0, ms, layerRows));
    }
}
