using System.Diagnostics;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>
/// Runs several requests as one forward pass and hands each its own answer. Their sequences are stacked (right-padded to the
/// longest, which changes no real position's result: padded keys are masked and everything else is row-wise), embedded once,
/// and run through the layers in stages: up to the smallest k, where the requests with that k take their rows, then on to
/// the next k, and so on; requests with k = N get the final norm and their pooled embeddings.
/// Legend: B sequences, T tokens, C channels.
/// </summary>
public static class BatchRunner
{
    /// <summary>Per-request results in input order, and the pass's embed time and layer time (ms) for the worker's statistics.</summary>
    public static (HeadResult[] Results, double EmbedMs, double LayersMs) Run(ILayerRangeBackend backend, IReadOnlyList<BatchItem> items, double[] queueMs)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(items);
        var n = backend.Config.NLayer;
        var merged = Merge(items, out var offsets);
        if (backend is IMultiExitBackend exiting) return RunOnDevice(exiting, items, merged, offsets, queueMs);
        var clock = Stopwatch.StartNew();
        var hidden = backend.Embed(merged);                                  // (B_total, T_max, C)
        var embedMs = clock.Elapsed.TotalMilliseconds;
        var results = new HeadResult[items.Count];
        foreach (var k in items.Select(i => i.K).Distinct().Order())
        {
            backend.RunLayers(hidden, hidden.LayersDone, k);
            if (k == n) backend.ApplyFinalNorm(hidden);
            for (var i = 0; i < items.Count; i++)
            {
                if (items[i].K != k) continue;
                var own = Slice(hidden, offsets[i], items[i].Batch);          // (B_i, T_i, C)
                var embeddings = k == n ? Pooler.Pool(own, items[i].Pooling) : null;
                results[i] = new HeadResult(own, embeddings, queueMs[i], clock.Elapsed.TotalMilliseconds);
            }
        }
        return (results, embedMs, clock.Elapsed.TotalMilliseconds - embedMs);
    }

    /// <summary>One pass with the hidden state kept on the device: each request's rows come back once, at its own k.</summary>
    private static (HeadResult[] Results, double EmbedMs, double LayersMs) RunOnDevice(
        IMultiExitBackend backend, IReadOnlyList<BatchItem> items, TokenBatch merged, int[] offsets, double[] queueMs)
    {
        var n = backend.Config.NLayer;
        var clock = Stopwatch.StartNew();
        var rows = backend.RunToExits(merged, [.. items.Select((item, i) => new LayerExit(item.K, offsets[i], item.Batch.BatchSize))]);
        var ms = clock.Elapsed.TotalMilliseconds;
        var c = backend.Config.NEmbd;
        var results = new HeadResult[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var own = items[i].Batch;
            var data = new float[(long)own.BatchSize * own.SequenceLength * c];                 // (B_i, T_i, C) from (B_i, T_max, C)
            for (var b = 0; b < own.BatchSize; b++)
                rows[i].AsSpan(b * merged.SequenceLength * c, own.SequenceLength * c).CopyTo(data.AsSpan(b * own.SequenceLength * c));
            var hidden = new HiddenState(own, c, data, items[i].K);
            results[i] = new HeadResult(hidden, items[i].K == n ? Pooler.Pool(hidden, items[i].Pooling) : null, queueMs[i], ms);
        }
        return (results, 0, ms);  // the embedding is inside the pass and negligible next to the blocks
    }

    /// <summary>
    /// Stacks the requests' sequences into one (B_total, T_max) batch, each row keeping its ids and mask and padded with id 0,
    /// mask 0; offsets[i] = the first sequence of request i.
    /// </summary>
    public static TokenBatch Merge(IReadOnlyList<BatchItem> items, out int[] offsets)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) throw new ArgumentException("a batch needs at least one request", nameof(items));
        offsets = new int[items.Count];
        int total = 0, longest = 0;
        for (var i = 0; i < items.Count; i++)
        {
            offsets[i] = total;
            total += items[i].Batch.BatchSize;
            longest = Math.Max(longest, items[i].Batch.SequenceLength);
        }
        var ids = new int[total * longest];
        var mask = new byte[ids.Length];
        for (var i = 0; i < items.Count; i++)
        {
            var batch = items[i].Batch;
            for (var b = 0; b < batch.BatchSize; b++)
            {
                var row = (offsets[i] + b) * longest;
                batch.SequenceIds(b).CopyTo(ids.AsSpan(row));
                batch.SequenceMask(b).CopyTo(mask.AsSpan(row));
            }
        }
        return new TokenBatch(total, longest, ids, mask);
    }

    /// <summary>The rows of request <paramref name="own"/> (sequences from <paramref name="first"/>), cut back to its own T.</summary>
    private static HiddenState Slice(HiddenState merged, int first, TokenBatch own)
    {
        var c = merged.Channels;
        var t = merged.Batch.SequenceLength;
        var data = new float[(long)own.BatchSize * own.SequenceLength * c];
        for (var b = 0; b < own.BatchSize; b++)
        {
            merged.Data.AsSpan((first + b) * t * c, own.SequenceLength * c).CopyTo(data.AsSpan(b * own.SequenceLength * c));
        }
        return new HiddenState(own, c, data, merged.LayersDone);
    }
}
