using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>
/// Runs several requests as one forward pass and hands each its own answer. Their sequences are stacked deepest k first
/// (right-padded to the longest, which changes no real position's result: padded keys are masked and everything else is
/// row-wise), embedded once, and run through the layers in stages: up to the smallest k, where the requests with that k take
/// their rows and leave, then on to the next k with only the rows still active (a prefix, thanks to the order), and so on;
/// requests with k = N get the final norm and their pooled embeddings. So no row pays for a layer it does not need.
/// Each request is charged the device time it used (<see cref="HeadResult.BusyMs"/>): the embedding by its share of real
/// tokens, each stage by its share of the stage's rows. When every request still running has lost its caller, the pass stops
/// at the next layer boundary (host-memory backends; a device pass is one call and runs to its end). Between two layers a
/// host-memory pass also lets <c>between</c> run other work (the batcher runs other tenants' small requests there, so they do
/// not wait for the whole pass); the time that takes is not charged to this pass's requests or its measurement.
/// Legend: B sequences, T tokens, C channels.
/// </summary>
public static class BatchRunner
{
    /// <summary>Per-request results in input order, and what the pass measured for the worker's statistics.</summary>
    /// <param name="between">Called between two layers of a host-memory pass whose callers may go away; returns the milliseconds it took.</param>
    public static PassResult Run(ILayerRangeBackend backend, IReadOnlyList<BatchItem> items, double[] queueMs, TimeProvider? time = null, Func<double>? between = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(queueMs);
        time ??= TimeProvider.System;
        // Deepest first (stable): after each exit the rows still running are a prefix, so dropping the others is a truncation.
        var order = Enumerable.Range(0, items.Count).OrderByDescending(i => items[i].K).ToArray();
        var ordered = order.Select(i => items[i]).ToArray();
        var orderedQueueMs = order.Select(i => queueMs[i]).ToArray();
        var merged = Merge(ordered, out var offsets);
        var pass = backend is IMultiExitBackend exiting
            ? DeviceBatch.Run(exiting, ordered, merged, offsets, orderedQueueMs, time)
            : RunStaged(backend, ordered, merged, offsets, orderedQueueMs, time, between);
        var results = new HeadResult[items.Count];
        for (var j = 0; j < order.Length; j++) results[order[j]] = pass.Results[j];
        return pass with { Results = results };
    }

    /// <summary>Host-memory backends: embed once, then one RunLayers per distinct k on the rows still active.</summary>
    private static PassResult RunStaged(ILayerRangeBackend backend, BatchItem[] items, TokenBatch merged, int[] offsets, double[] queueMs, TimeProvider time,
        Func<double>? between)
    {
        var n = backend.Shape.Layers;
        var tokens = items.Select(i => RequestWork.Of(i.Batch, i.K).Tokens).ToArray();
        var rows = items.Select(i => (long)i.Batch.BatchSize * i.Batch.SequenceLength).ToArray();
        var start = time.GetTimestamp();
        var hidden = backend.Embed(merged);                                   // (B_total, T_max, C)
        var embedMs = time.GetElapsedTime(start).TotalMilliseconds;
        var busy = new double[items.Length];
        BusyShares.Add(busy, tokens, items.Length, embedMs);
        var embedShare = (double[])busy.Clone();
        var results = new HeadResult[items.Length];
        long layerRows = 0;
        var yieldedMs = 0.0;  // spent on other work between layers: not this pass's
        for (var end = items.Length; end > 0;)
        {
            var k = items[end - 1].K;                                         // the smallest k still running
            var first = end;
            while (first > 0 && items[first - 1].K == k) first--;             // items [first, end) leave at k
            hidden = ActiveRows.Keep(hidden, offsets[end - 1] + items[end - 1].Batch.BatchSize, items.Take(end).Max(i => i.Batch.SequenceLength));
            var stageStart = time.GetTimestamp();
            var from = hidden.LayersDone;
            var stageYielded = 0.0;
            if (!RunLayers(backend, hidden, from, k, items.AsSpan(0, end), between, ref stageYielded))   // (B_active, T_active, C)
            {
                var stoppedMs = time.GetElapsedTime(start).TotalMilliseconds;
                for (var i = 0; i < end; i++) results[i] = new HeadResult(Slice(hidden, offsets[i], items[i].Batch), null, queueMs[i], stoppedMs);
                return new PassResult(results, new PassMeasure(embedMs, tokens.Sum(), stoppedMs - embedMs - yieldedMs - stageYielded, layerRows)) { Stopped = end };
            }
            yieldedMs += stageYielded;
            if (k == n) backend.ApplyFinalNorm(hidden);
            layerRows += (long)hidden.Batch.BatchSize * hidden.Batch.SequenceLength * (k - from);
            BusyShares.Add(busy, rows, end, time.GetElapsedTime(stageStart).TotalMilliseconds - stageYielded);
            var doneMs = time.GetElapsedTime(start).TotalMilliseconds;
            for (var i = first; i < end; i++)
            {
                var own = Slice(hidden, offsets[i], items[i].Batch);           // (B_i, T_i, C)
                var embeddings = k == n ? Pooler.Pool(own, items[i].Pooling) : null;
                results[i] = new HeadResult(own, embeddings, queueMs[i], doneMs) { BusyMs = busy[i], EmbedMs = embedShare[i] };
            }
            end = first;
        }
        var layersMs = time.GetElapsedTime(start).TotalMilliseconds - embedMs - yieldedMs;
        return new PassResult(results, new PassMeasure(embedMs, tokens.Sum(), layersMs, layerRows));
    }

    /// <summary>
    /// Layers [from, to) on the active rows; layer by layer when a caller may go away, false (stopped) once every one of
    /// <paramref name="running"/> has, with <paramref name="between"/> given its turn before each layer but the first. Without
    /// cancellable callers (tests, warm-up) one call, as before.
    /// </summary>
    private static bool RunLayers(ILayerRangeBackend backend, HiddenState hidden, int from, int to, ReadOnlySpan<BatchItem> running, Func<double>? between,
        ref double yieldedMs)
    {
        var cancellable = false;
        foreach (var item in running) cancellable |= item.Aborted.CanBeCanceled;
        if (!cancellable)
        {
            backend.RunLayers(hidden, from, to);
            return true;
        }
        for (var layer = from; layer < to; layer++)
        {
            if (layer > from && between is not null) yieldedMs += between();
            if (AllAborted(running)) return false;
            backend.RunLayers(hidden, layer, layer + 1);
        }
        return true;
    }

    private static bool AllAborted(ReadOnlySpan<BatchItem> running)
    {
        foreach (var item in running)
        {
            if (!item.Aborted.IsCancellationRequested) return false;
        }
        return true;
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
