using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Device;
using SplitCompute.Model.Forward;

namespace SplitCompute.Cuda.Profiling;

/// <summary>
/// Where a <see cref="CudaBackend"/>'s GPU time goes, for the benchmarks: blocks and single steps timed by CUDA events on a
/// probe batch of valid tokens (medians after warm-up; the device's own time, without the PCIe copies of the hidden state),
/// and which kernel each product runs after tuning. It runs on the backend's stream under its lock, between requests.
/// Legend: B batch, T tokens.
/// </summary>
internal sealed class CudaProfiler(CudaBackend backend)
{
    /// <summary>
    /// GPU time of blocks [from, to) at (<paramref name="batch"/>, <paramref name="tokens"/>): median of
    /// <paramref name="repetitions"/> replays of the range's graph, or with <paramref name="useGraph"/> false of every kernel
    /// launched one by one.
    /// </summary>
    public double MeasureLayersMs(int batch, int tokens, int from, int to, int repetitions, bool useGraph)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repetitions);
        return OnProbe(batch, tokens, ws =>
        {
            var graph = useGraph ? backend.Graph(ws, new GraphKey(ws.Shape, from, to)) : null;
            using var events = new CudaEventPair(backend.Device);
            var warmUp = Math.Max(3, repetitions / 5);
            var times = new double[repetitions];
            for (var i = 0; i < warmUp + repetitions; i++)
            {
                backend.EnqueueEmbed(ws);
                events.RecordStart();
                if (graph is not null) graph.Launch(); else backend.EnqueueLayers(ws, from, to);
                events.RecordEnd();
                var ms = events.ElapsedMs();
                if (i >= warmUp) times[i - warmUp] = ms;
            }
            return Median(times);
        });
    }

    /// <summary>
    /// Which kernel runs each of a block's four products at (<paramref name="batch"/>, <paramref name="tokens"/>) after tuning, and
    /// last, when it ran, what the block tuning tried and chose.
    /// </summary>
    public IReadOnlyList<string> DescribeProducts(int batch, int tokens) =>
        OnProbe<IReadOnlyList<string>>(batch, tokens, ws =>
        [
            .. new[] { ws.QkvProduct, ws.ProjProduct, ws.FcProduct, ws.FcProjProduct }.Select(p => p.Describe()),
            .. ws.BlockTuning.Length > 0 ? ["block tuning (us per block): " + ws.BlockTuning] : Array.Empty<string>(),
        ]);

    /// <summary>
    /// GPU time of each step of block 0 (<see cref="CudaBackend.BlockSteps"/>) at (<paramref name="batch"/>, <paramref name="tokens"/>),
    /// launched eagerly with events between the steps (median per step): where a block's time goes.
    /// </summary>
    public IReadOnlyList<(string Step, double Ms)> MeasureBlockSteps(int batch, int tokens, int repetitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repetitions);
        var steps = CudaBackend.BlockSteps;
        return OnProbe<IReadOnlyList<(string Step, double Ms)>>(batch, tokens, ws =>
        {
            using var timeline = new CudaTimeline(backend.Device, steps.Count + 1);
            var times = new double[steps.Count, repetitions];
            for (var i = -3; i < repetitions; i++)
            {
                backend.EnqueueEmbed(ws);
                backend.EnqueueLayers(ws, 0, 1, timeline.Record);
                if (i < 0)
                {
                    _ = timeline.ElapsedMs(0, steps.Count);
                    continue;
                }
                for (var step = 0; step < steps.Count; step++) times[step, i] = timeline.ElapsedMs(step, step + 1);
            }
            return [.. steps.Select((name, step) => (name, Median(Enumerable.Range(0, repetitions).Select(i => times[step, i]))))];
        });
    }

    /// <summary>
    /// GPU time of each step of a block inside a CUDA graph: per step, a graph of <paramref name="copies"/> launches of that
    /// step alone, copy i with block i's weights (so they come from memory, as in a forward pass, not from L2), timed by events
    /// (median of <paramref name="repetitions"/>) and divided by the copies. Unlike <see cref="MeasureBlockSteps"/> no event
    /// sits between kernels, so these add up to about a graph block's time. <paramref name="distinctLayers"/> = 1 reuses block
    /// 0's weights in every copy instead, so a product's weights stay in L2: what a product costs when it need not wait on HBM.
    /// </summary>
    public IReadOnlyList<(string Step, double Ms)> MeasureBlockStepsInGraph(int batch, int tokens, int repetitions, int copies = 20, int distinctLayers = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repetitions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(copies);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(distinctLayers);
        var steps = CudaBackend.BlockSteps;
        return OnProbe<IReadOnlyList<(string Step, double Ms)>>(batch, tokens, ws =>
        {
            var weights = backend.Weights;
            var layers = Enumerable.Range(0, backend.Config.NLayer).Where(weights.HasLayer).Take(distinctLayers).ToArray();
            if (layers.Length == 0) throw new InvalidOperationException("this CUDA backend holds no block to time");
            using var events = new CudaEventPair(backend.Device);
            var result = new List<(string, double)>();
            for (var step = 0; step < steps.Count; step++)
            {
                var s = step;
                using var graph = CudaGraph.Capture(backend.Device, $"step {steps[s]} x {copies}", () =>
                {
                    for (var i = 0; i < copies; i++) backend.EnqueueStep(ws, weights.Layer(layers[i % layers.Length]), s);
                });
                var times = new double[repetitions];
                for (var i = -3; i < repetitions; i++)
                {
                    backend.EnqueueEmbed(ws);  // the residual products add into x: keep it bounded
                    events.RecordStart();
                    graph.Launch();
                    events.RecordEnd();
                    var ms = events.ElapsedMs();
                    if (i >= 0) times[i] = ms / copies;
                }
                result.Add((steps[s], Median(times)));
            }
            return result;
        });
    }

    /// <summary>
    /// Runs <paramref name="measure"/> on the workspace of a (batch, tokens) probe of valid tokens, its ids and mask uploaded,
    /// under the backend's lock.
    /// </summary>
    private T OnProbe<T>(int batch, int tokens, Func<CudaWorkspace, T> measure)
    {
        _ = backend.Weights.TokenEmbedding ?? throw new InvalidOperationException("timing needs the embeddings (to reset the residual stream)");
        var ids = new int[batch * tokens];
        for (var i = 0; i < ids.Length; i++) ids[i] = (int)((i * 7919L) % backend.Config.VocabSize);
        var probe = new TokenBatch(batch, tokens, ids, [.. Enumerable.Repeat((byte)1, ids.Length)]);
        return backend.OnStagedBatch(probe, measure);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
