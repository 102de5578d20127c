using SplitCompute.Cuda.Blas;
using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;
using SplitCompute.Cuda.Kernels;
using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;

namespace SplitCompute.Cuda.Backend;

/// <summary>
/// GPT-2 on one NVIDIA GPU behind the layer-range API. Legend: B batch, T tokens, C channels, H heads, R = B * T rows.
/// A block is 7 launches: LayerNorm, the qkv product (+ bias), attention, the projection (+ bias + residual through cuBLASLt's
/// C matrix), LayerNorm, the fc product (+ bias + GELU epilogue), the second projection (+ bias + residual). Batches run at a
/// padded <see cref="ShapeBucket"/>; each (bucket, layer range) is captured once as a CUDA graph and replayed. The hidden state
/// crosses PCIe through pinned buffers. Calls are serialised on one stream (the GPU is the shared resource; batching is the
/// way to use it better, see the worker's batcher).
/// </summary>
public sealed unsafe partial class CudaBackend : IMultiExitBackend, IDeviceMemoryReport
{
    private readonly Lock _gate = new();
    private readonly CudaContext _context;
    private readonly bool _ownsContext;
    private readonly CudaBackendOptions _options;
    private readonly Gpt2Kernels _kernels;
    private readonly LtHandle _lt;
    private readonly HopperProducts? _hopper;
    private readonly CudaModelWeights _weights;
    private readonly Dictionary<ShapeBucket, CudaWorkspace> _workspaces = [];
    private const int MaxTrackedRanges = 4096;
    private const int TuningLayers = 8;  // blocks whose weights the product tuning cycles over (gpt2-xl: 8 x 61 MB, far beyond L2)
    private readonly LruCache<GraphKey, CudaGraph> _graphs;
    private readonly Dictionary<GraphKey, int> _rangeRequests = [];
    private bool _disposed;

    /// <summary>Memory in use on the device now (cuMemGetInfo: total - free), for the worker's device-memory gauge.</summary>
    public long DeviceMemoryBytes
    {
        get
        {
            var (free, total) = _context.MemoryInfo();
            return total - free;
        }
    }

    private CudaBackend(CudaContext context, bool ownsContext, Gpt2Config config, CudaBackendOptions options, Func<Gpt2Kernels, CudaModelWeights> weights)
    {
        _context = context;
        _ownsContext = ownsContext;
        _options = options;
        Config = config;
        context.MakeCurrent();
        _kernels = new Gpt2Kernels(context, options.Precision, options.TensorCoreAttention, options.AttentionWarps, options.AttentionKeySplit, options.KernelCacheDirectory,
            options.DependentLaunch);
        try
        {
            _lt = new LtHandle(context);
            if (options.OwnProductSplit != 0 && !HopperProducts.Splits.Contains(options.OwnProductSplit))
                throw new ArgumentOutOfRangeException(nameof(options), $"OwnProductSplit must be 0 or one of {string.Join(", ", HopperProducts.Splits)}, not {options.OwnProductSplit}");
            var ownChosen = options.TuneProducts || options.OwnProductSplit != 0;
            if (options.OwnProducts && ownChosen && options.Precision == CudaPrecision.Float16 && HopperProducts.Supports(context))
                _hopper = new HopperProducts(context, options.KernelCacheDirectory);
            _weights = weights(_kernels);
            _graphs = new LruCache<GraphKey, CudaGraph>(options.MaxGraphs);
        }
        catch
        {
            _hopper?.Dispose();
            _lt?.Dispose();
            _kernels.Dispose();
            throw;
        }
    }

    /// <summary>Opens the GPU in <paramref name="options"/> and uploads <paramref name="weights"/>; the backend owns that context.</summary>
    public static CudaBackend Create(Gpt2Weights weights, CudaBackendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        options ??= new CudaBackendOptions();
        var context = CudaContext.Create(options.DeviceOrdinal, options.LibraryDirectories);
        try
        {
            return new CudaBackend(context, ownsContext: true, weights.Config, options, _ => CudaModelWeights.Upload(context, weights, options.Precision, options.TransposedWeights));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Uploads <paramref name="weights"/> to an already open GPU (several backends may share one context).</summary>
    public static CudaBackend Create(CudaContext context, Gpt2Weights weights, CudaBackendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(weights);
        options ??= new CudaBackendOptions();
        return new CudaBackend(context, ownsContext: false, weights.Config, options, _ => CudaModelWeights.Upload(context, weights, options.Precision, options.TransposedWeights));
    }

    /// <summary>A model of <paramref name="config"/>'s shape with seeded random weights made on the GPU (benchmarks).</summary>
    public static CudaBackend CreateRandom(CudaContext context, Gpt2Config config, CudaBackendOptions? options, uint seed)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(config);
        return new CudaBackend(context, ownsContext: false, config, options ?? new CudaBackendOptions(), k => CudaModelWeights.Random(context, k, config, seed));
    }

    public string Name => "cuda";

    public Gpt2Config Config { get; }

    public CudaContext Device => _context;

    public CudaPrecision Precision => _options.Precision;

    /// <summary>Graphs currently held (one per (bucket, layer range) seen, bounded by MaxGraphs).</summary>
    public int CachedGraphs
    {
        get { lock (_gate) return _graphs.Count; }
    }

    /// <summary>Bytes of block <paramref name="layer"/>'s parameters on the GPU.</summary>
    public long LayerWeightBytes(int layer) => _weights.Layer(layer).Bytes;

    /// <summary>Token + position embeddings on the GPU: (B, T) ids -> (B, T, C) fp32 in host memory.</summary>
    public HiddenState Embed(TokenBatch batch)
    {
        LayerRange.ValidateBatch(Config, batch);
        var wte = _weights.TokenEmbedding ?? throw new InvalidOperationException("this CUDA backend was loaded without embeddings");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _context.MakeCurrent();
            var ws = Workspace(batch);
            Staging.Ids(batch, ws);
            Upload(ws.Ids, ws.HostIds, ws.Shape.Rows * 4L);
            _kernels.Embed(ws.X.Pointer, ws.Ids.Pointer, wte.Pointer, _weights.PositionEmbedding!.Pointer, ws.Shape.Rows, ws.Shape.Tokens, Config.NEmbd);
            var hidden = new HiddenState(batch, Config.NEmbd, new float[(long)batch.BatchSize * batch.SequenceLength * Config.NEmbd], 0);
            Download(ws, hidden, "embed");
            return hidden;
        }
    }

    /// <summary>Blocks [from, to) on the GPU, in place on <paramref name="hidden"/>.</summary>
    public void RunLayers(HiddenState hidden, int from, int to)
    {
        LayerRange.Validate(Config, hidden, from, to);
        for (var layer = from; layer < to; layer++) _ = _weights.Layer(layer);  // refuse before touching data
        if (from == to) return;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _context.MakeCurrent();
            var ws = Workspace(hidden.Batch);
            Staging.Hidden(hidden, ws);
            Staging.Mask(hidden.Batch, ws);
            Upload(ws.X, ws.HostX, (long)hidden.Batch.BatchSize * ws.Shape.Tokens * Config.NEmbd * 4);
            Upload(ws.Mask, ws.HostMask, ws.Shape.Rows);
            if (_options.UseGraphs) LaunchGraphs(ws, from, to);
            else EnqueueLayers(ws, from, to);
            Download(ws, hidden, $"layers [{from}, {to})");
            hidden.LayersDone = to;
        }
    }

    /// <summary>
    /// Replays blocks [from, to): one graph for the whole range once the range has been asked for twice (the worker's common
    /// k values), one graph per block before that. A worker sees many ranges (every k, and the stages of a batch with mixed
    /// k), and capturing each on first sight would cost milliseconds per new range and churn the cache.
    /// </summary>
    private void LaunchGraphs(CudaWorkspace ws, int from, int to)
    {
        var key = new GraphKey(ws.Shape, from, to);
        if (to - from > 1 && !_graphs.Contains(key))
        {
            if (_rangeRequests.Count > MaxTrackedRanges) _rangeRequests.Clear();
            _rangeRequests[key] = _rangeRequests.GetValueOrDefault(key) + 1;
            if (_rangeRequests[key] < 2)
            {
                for (var layer = from; layer < to; layer++) Graph(ws, new GraphKey(ws.Shape, layer, layer + 1)).Launch();
                return;
            }
        }
        Graph(ws, key).Launch();
    }

    private CudaGraph Graph(CudaWorkspace ws, GraphKey key) =>
        _graphs.GetOrAdd(key, k => CudaGraph.Capture(_context, $"gpt2 {k}", () => EnqueueLayers(ws, k.From, k.To)));

    /// <summary>Final LayerNorm on the GPU, in place on every position.</summary>
    public void ApplyFinalNorm(HiddenState hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.LayersDone != Config.NLayer)
            throw new ArgumentException($"the final norm needs all {Config.NLayer} layers; the hidden state has {hidden.LayersDone}", nameof(hidden));
        var gamma = _weights.FinalNormGamma ?? throw new InvalidOperationException("this CUDA backend was loaded without the final norm");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _context.MakeCurrent();
            var ws = Workspace(hidden.Batch);
            Staging.Hidden(hidden, ws);
            Upload(ws.X, ws.HostX, (long)hidden.Batch.BatchSize * ws.Shape.Tokens * Config.NEmbd * 4);
            _kernels.LayerNormF(ws.X.Pointer, ws.X.Pointer, gamma.Pointer, _weights.FinalNormBeta!.Pointer, ws.Shape.Rows, Config.NEmbd, Config.LayerNormEpsilon);
            Download(ws, hidden, "final norm");
        }
    }

    /// <summary>
    /// GPU time of blocks [from, to) at (<paramref name="batch"/>, <paramref name="tokens"/>) with all tokens valid, by CUDA
    /// events around each replay (median of <paramref name="repetitions"/> after warm-up): the device's own time, without the
    /// PCIe copies of the hidden state. With <paramref name="useGraph"/> false every kernel is launched one by one.
    /// </summary>
    public double MeasureLayersMs(int batch, int tokens, int from, int to, int repetitions, bool useGraph)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repetitions);
        return OnProbe(batch, tokens, ws =>
        {
            var graph = useGraph ? Graph(ws, new GraphKey(ws.Shape, from, to)) : null;
            using var events = new CudaEventPair(_context);
            var warmUp = Math.Max(3, repetitions / 5);
            var times = new double[repetitions];
            for (var i = 0; i < warmUp + repetitions; i++)
            {
                EnqueueEmbed(ws);
                events.RecordStart();
                if (graph is not null) graph.Launch(); else EnqueueLayers(ws, from, to);
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

    /// <summary>The steps of one block, in the order <see cref="EnqueueLayers"/> marks them.</summary>
    public static IReadOnlyList<string> BlockSteps { get; } =
        ["ln_1", "qkv product + bias", "attention", "attn.c_proj + bias + residual", "ln_2", "mlp.c_fc + bias + GELU", "mlp.c_proj + bias + residual"];

    /// <summary>
    /// GPU time of each step of block 0 at (<paramref name="batch"/>, <paramref name="tokens"/>), launched eagerly with events
    /// between the steps (median per step): where a block's time goes.
    /// </summary>
    public IReadOnlyList<(string Step, double Ms)> MeasureBlockSteps(int batch, int tokens, int repetitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repetitions);
        return OnProbe<IReadOnlyList<(string Step, double Ms)>>(batch, tokens, ws =>
        {
            using var timeline = new CudaTimeline(_context, BlockSteps.Count + 1);
            var times = new double[BlockSteps.Count, repetitions];
            for (var i = -3; i < repetitions; i++)
            {
                EnqueueEmbed(ws);
                EnqueueLayers(ws, 0, 1, timeline.Record);
                if (i < 0)
                {
                    _ = timeline.ElapsedMs(0, BlockSteps.Count);
                    continue;
                }
                for (var step = 0; step < BlockSteps.Count; step++) times[step, i] = timeline.ElapsedMs(step, step + 1);
            }
            return [.. BlockSteps.Select((name, step) => (name, Median(Enumerable.Range(0, repetitions).Select(i => times[step, i]))))];
        });
    }

    /// <summary>
    /// Enqueues blocks [from, to) on the workspace's x; no synchronisation, so it can be captured. <paramref name="mark"/>, when
    /// given, is called before each step of a block and after the last (0 .. <see cref="BlockSteps"/>.Count).
    /// </summary>
    private void EnqueueLayers(CudaWorkspace ws, int from, int to, Action<int>? mark = null)
    {
        for (var layer = from; layer < to; layer++)
        {
            var w = _weights.Layer(layer);
            for (var step = 0; step < BlockSteps.Count; step++)
            {
                mark?.Invoke(step);
                EnqueueStep(ws, w, step);
            }
            mark?.Invoke(BlockSteps.Count);
        }
    }

    /// <summary>One step of a block (<see cref="BlockSteps"/>): attention x += proj(attn(ln_1(x))), MLP x += proj(gelu(fc(ln_2(x)))).</summary>
    private void EnqueueStep(CudaWorkspace ws, CudaLayerWeights w, int step)
    {
        var (c, h, eps) = (Config.NEmbd, Config.NHead, Config.LayerNormEpsilon);
        var rows = ws.Shape.Rows;
        switch (step)
        {
            case 0:
                _kernels.LayerNormX(ws.Normed.Pointer, ws.X.Pointer, w.Ln1Gamma.Pointer, w.Ln1Beta.Pointer, rows, c, eps, ws.DependentLaunch); // (R, C) -> (R, C) X
                break;
            case 1:
                ws.QkvProduct.Run(ws.Normed.Pointer, w.QkvWeight.Pointer, w.QkvBias.Pointer, ws.Qkv.Pointer, 0f);           // (R, C) . (C, 3C) + b
                break;
            case 2:
                _kernels.Attention(ws.Attention.Pointer, ws.Qkv.Pointer, ws.Mask.Pointer, ws.Shape.Batch, ws.Shape.Tokens, c, h, ws.DependentLaunch); // (R, 3C) -> (R, C)
                break;
            case 3:
                ws.ProjProduct.Run(ws.Attention.Pointer, w.ProjWeight.Pointer, w.ProjBias.Pointer, ws.X.Pointer, 1f);       // x += (R, C) . (C, C) + b
                break;
            case 4:
                _kernels.LayerNormX(ws.Normed.Pointer, ws.X.Pointer, w.Ln2Gamma.Pointer, w.Ln2Beta.Pointer, rows, c, eps, ws.DependentLaunch);
                break;
            case 5:
                ws.FcProduct.Run(ws.Normed.Pointer, w.FcWeight.Pointer, w.FcBias.Pointer, ws.Mlp.Pointer, 0f);              // (R, C) . (C, 4C) + b, GELU
                if (!_options.FuseGelu) _kernels.Gelu(ws.Mlp.Pointer, rows * 4L * c);
                break;
            case 6:
                ws.FcProjProduct.Run(ws.Mlp.Pointer, w.FcProjWeight.Pointer, w.FcProjBias.Pointer, ws.X.Pointer, 1f);       // x += (R, 4C) . (4C, C) + b
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(step), $"a block has {BlockSteps.Count} steps, not step {step}");
        }
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
        return OnProbe<IReadOnlyList<(string Step, double Ms)>>(batch, tokens, ws =>
        {
            var layers = Enumerable.Range(0, Config.NLayer).Where(_weights.HasLayer).Take(distinctLayers).ToArray();
            if (layers.Length == 0) throw new InvalidOperationException("this CUDA backend holds no block to time");
            using var events = new CudaEventPair(_context);
            var result = new List<(string, double)>();
            for (var step = 0; step < BlockSteps.Count; step++)
            {
                var s = step;
                using var graph = CudaGraph.Capture(_context, $"step {BlockSteps[s]} x {copies}", () =>
                {
                    for (var i = 0; i < copies; i++) EnqueueStep(ws, _weights.Layer(layers[i % layers.Length]), s);
                });
                var times = new double[repetitions];
                for (var i = -3; i < repetitions; i++)
                {
                    EnqueueEmbed(ws);  // the residual products add into x: keep it bounded
                    events.RecordStart();
                    graph.Launch();
                    events.RecordEnd();
                    var ms = events.ElapsedMs();
                    if (i >= 0) times[i] = ms / copies;
                }
                result.Add((BlockSteps[s], Median(times)));
            }
            return result;
        });
    }

    /// <summary>A (batch, tokens) batch of valid tokens for timing.</summary>
    private TokenBatch Probe(int batch, int tokens)
    {
        var ids = new int[batch * tokens];
        for (var i = 0; i < ids.Length; i++) ids[i] = (int)((i * 7919L) % Config.VocabSize);
        return new TokenBatch(batch, tokens, ids, [.. Enumerable.Repeat((byte)1, ids.Length)]);
    }

    /// <summary>Runs <paramref name="measure"/> under the lock on the uploaded workspace of a (batch, tokens) timing probe.</summary>
    private T OnProbe<T>(int batch, int tokens, Func<CudaWorkspace, T> measure)
    {
        var probe = Probe(batch, tokens);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _context.MakeCurrent();
            return measure(PrepareProbe(probe));
        }
    }

    /// <summary>Uploads the probe's ids and mask (under the lock) and returns its workspace.</summary>
    private CudaWorkspace PrepareProbe(TokenBatch probe)
    {
        _ = _weights.TokenEmbedding ?? throw new InvalidOperationException("timing needs the embeddings (to reset the residual stream)");
        var ws = Workspace(probe);
        Staging.Ids(probe, ws);
        Staging.Mask(probe, ws);
        Upload(ws.Ids, ws.HostIds, ws.Shape.Rows * 4L);
        Upload(ws.Mask, ws.HostMask, ws.Shape.Rows);
        return ws;
    }

    /// <summary>x = wte[ids] + wpe over the whole bucket (resets the residual stream between timed runs).</summary>
    private void EnqueueEmbed(CudaWorkspace ws) =>
        _kernels.Embed(ws.X.Pointer, ws.Ids.Pointer, _weights.TokenEmbedding!.Pointer, _weights.PositionEmbedding!.Pointer, ws.Shape.Rows, ws.Shape.Tokens, Config.NEmbd);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private CudaWorkspace Workspace(TokenBatch batch) => Workspace(ShapeBucket.For(batch.BatchSize, batch.SequenceLength, Config.NPositions));

    private CudaWorkspace Workspace(ShapeBucket shape)
    {
        if (_workspaces.TryGetValue(shape, out var ws)) return ws;
        ws = new CudaWorkspace(_lt, _hopper, _options.OwnProductSplit, shape, Config.NEmbd, _options.Precision, _options.FuseGelu, _options.TransposedWeights)
        {
            DependentLaunch = _kernels.DependentLaunchAvailable,
        };
        try
        {
            WarmUp(ws);
        }
        catch
        {
            ws.Dispose();
            throw;
        }
        _workspaces[shape] = ws;
        return ws;
    }

    /// <summary>
    /// Each product was tuned alone, launch after launch of itself; in a block it follows LayerNorm or attention, small kernels
    /// beside which our product's CTAs can already be resident and loading weights (programmatic dependent launch), which no
    /// cuBLASLt kernel does. So the block's settings, dependent launch of LayerNorm and attention and each product's kernel
    /// among those near the fastest alone, are tuned one at a time on whole blocks (a graph over the tuning blocks'
    /// weights); a change stays where it beats the timing's noise.
    /// </summary>
    private void TuneInBlock(CudaWorkspace ws, CudaLayerWeights[] layers)
    {
        const double margin = 0.003;  // a change must win by 0.3 % of a block (medians of 9 replays vary by ~0.1 %)
        ITunableChoice[] choices = [new DependentLaunchChoice(ws, _kernels.DependentLaunchAvailable), ws.QkvProduct, ws.ProjProduct, ws.FcProduct, ws.FcProjProduct];
        double BlockMs() => GraphTiming.MsPerLaunch(_context, $"tuning blocks {ws.Shape}", layers.Length, i =>
        {
            for (var step = 0; step < BlockSteps.Count; step++) EnqueueStep(ws, layers[i], step);
        }, replays: 9);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var notes = new List<string>();
        foreach (var o in CoordinateTuning.Run(choices, BlockMs, margin))
        {
            var choice = choices[o.Choice];
            notes.Add(string.Create(inv, $"pass {o.Pass + 1}, {choice.Label} {choice.OptionName(o.Option)}: {o.Ms * 1000:F1} against {o.BestBeforeMs * 1000:F1} us{(o.Kept ? ", kept" : "")}"));
        }
        ws.BlockTuning = notes.Count == 0 ? "nothing to tune in the block"
            : $"{string.Join("; ", notes)}; chosen: {string.Join(", ", choices.Where(c => c.Count > 0).Select(c => $"{c.Label} {c.OptionName(c.Current)}"))}";
    }

    /// <summary>
    /// Runs one block eagerly on zeros before any capture: cuBLASLt and the driver load kernels lazily on first use, which is
    /// not allowed while a stream is being captured.
    /// </summary>
    private void WarmUp(CudaWorkspace ws)
    {
        // Zero every activation: rows a request never uploads (padded sequences) must hold finite values.
        foreach (var buffer in new[] { ws.X, ws.Normed, ws.Qkv, ws.Attention, ws.Mlp, ws.Mask, ws.Ids })
            CuDriver.Check(CuDriver.MemsetD8Async(buffer.Pointer, 0, (nuint)buffer.Bytes, _context.Stream), $"zero {buffer.Label}");
        var present = Enumerable.Range(0, Config.NLayer).Where(_weights.HasLayer).Take(TuningLayers).ToArray();
        if (present.Length > 0)
        {
            var layers = present.Select(_weights.Layer).ToArray();
            if (_options.TuneProducts)
            {
                // Over several blocks' weights, so that each candidate is timed reading them from HBM, as in a forward pass.
                ws.QkvProduct.Tune([.. layers.Select(w => new LtOperands(ws.Normed.Pointer, w.QkvWeight.Pointer, w.QkvBias.Pointer, ws.Qkv.Pointer))], 0f);
                ws.ProjProduct.Tune([.. layers.Select(w => new LtOperands(ws.Attention.Pointer, w.ProjWeight.Pointer, w.ProjBias.Pointer, ws.X.Pointer))], 1f);
                ws.FcProduct.Tune([.. layers.Select(w => new LtOperands(ws.Normed.Pointer, w.FcWeight.Pointer, w.FcBias.Pointer, ws.Mlp.Pointer))], 0f);
                ws.FcProjProduct.Tune([.. layers.Select(w => new LtOperands(ws.Mlp.Pointer, w.FcProjWeight.Pointer, w.FcProjBias.Pointer, ws.X.Pointer))], 1f);
                if (_options.TuneInBlock) TuneInBlock(ws, layers);
                CuDriver.Check(CuDriver.MemsetD8Async(ws.X.Pointer, 0, (nuint)ws.X.Bytes, _context.Stream), "zero x after tuning");
            }
            EnqueueLayers(ws, present[0], present[0] + 1);
        }
        if (_weights.FinalNormGamma is not null)
            _kernels.LayerNormF(ws.X.Pointer, ws.X.Pointer, _weights.FinalNormGamma.Pointer, _weights.FinalNormBeta!.Pointer, ws.Shape.Rows, Config.NEmbd, Config.LayerNormEpsilon);
        _context.Synchronize($"warm-up of workspace {ws.Shape}");
    }

    private void Upload(DeviceBuffer device, PinnedBuffer host, long bytes) =>
        CuDriver.Check(CuDriver.MemcpyHtoDAsync(device.Pointer, host.Pointer, (nuint)bytes, _context.Stream), $"upload to {device.Label}");

    /// <summary>Copies the real rows of x back into <paramref name="hidden"/> once the stream is done.</summary>
    private void Download(CudaWorkspace ws, HiddenState hidden, string what)
    {
        var bytes = (long)hidden.Batch.BatchSize * ws.Shape.Tokens * Config.NEmbd * 4;
        CuDriver.Check(CuDriver.MemcpyDtoHAsync(ws.HostX.Pointer, ws.X.Pointer, (nuint)bytes, _context.Stream), $"{what}: download of x");
        _context.Synchronize(what);
        Staging.Unstage(ws, hidden);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _context.MakeCurrent();
            _ = CuDriver.StreamSynchronize(_context.Stream);
            _graphs.Dispose();
            foreach (var ws in _workspaces.Values) ws.Dispose();
            _workspaces.Clear();
            _weights.Dispose();
            _lt.Dispose();
            _hopper?.Dispose();
            _kernels.Dispose();
            if (_ownsContext) _context.Dispose();
        }
    }
}
