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
/// way to use it better, see the worker's batcher). A bucket's kernels are chosen when its workspace is made
/// (<see cref="WorkspaceTuning"/>); the benchmarks time the backend through Profiling/CudaProfiler.
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
        return OwnedContext.Open(options, context =>
            new CudaBackend(context, ownsContext: true, weights.Config, options, _ => CudaModelWeights.Upload(context, weights, options.Precision, options.TransposedWeights)));
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

    public LayerStackShape Shape => Config.Shape;

    public CudaContext Device => _context;

    public CudaPrecision Precision => _options.Precision;

    /// <summary>Graphs currently held (one per (bucket, layer range) seen, bounded by MaxGraphs).</summary>
    public int CachedGraphs
    {
        get { lock (_gate) return _graphs.Count; }
    }

    /// <summary>Bytes of block <paramref name="layer"/>'s parameters on the GPU.</summary>
    public long LayerWeightBytes(int layer) => _weights.Layer(layer).Bytes;

    /// <summary>The parameters on the GPU (the profiler picks blocks to time from them).</summary>
    internal CudaModelWeights Weights => _weights;

    /// <summary>Token + position embeddings on the GPU: (B, T) ids -> (B, T, C) fp32 in host memory.</summary>
    public HiddenState Embed(TokenBatch batch)
    {
        LayerRange.ValidateBatch(Config, batch);
        _ = _weights.TokenEmbedding ?? throw new InvalidOperationException("this CUDA backend was loaded without embeddings");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _context.MakeCurrent();
            var ws = Workspace(batch);
            Staging.Ids(batch, ws);
            Staging.Upload(_context, ws.Ids, ws.HostIds, ws.Shape.Rows * 4L);
            EnqueueEmbed(ws);
            var hidden = new HiddenState(batch, Config.NEmbd, new float[(long)batch.BatchSize * batch.SequenceLength * Config.NEmbd], 0);
            Staging.Download(_context, ws, hidden, "embed");
            return hidden;
        }
    }

    /// <summary>x (R, C) fp32 = wte[ids] + wpe over the whole bucket, from the ids on the GPU (the embeddings must be loaded).</summary>
    internal void EnqueueEmbed(CudaWorkspace ws) =>
        _kernels.Embed(ws.X.Pointer, ws.Ids.Pointer, _weights.TokenEmbedding!.Pointer, _weights.PositionEmbedding!.Pointer, ws.Shape.Rows, ws.Shape.Tokens, Config.NEmbd);

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
            Staging.Upload(_context, ws.X, ws.HostX, (long)hidden.Batch.BatchSize * ws.Shape.Tokens * Config.NEmbd * 4);
            Staging.Upload(_context, ws.Mask, ws.HostMask, ws.Shape.Rows);
            if (_options.UseGraphs) LaunchGraphs(ws, from, to);
            else EnqueueLayers(ws, from, to);
            Staging.Download(_context, ws, hidden, $"layers [{from}, {to})");
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

    /// <summary>The graph of blocks [key.From, key.To) on the workspace, captured on first use and kept in the LRU cache.</summary>
    internal CudaGraph Graph(CudaWorkspace ws, GraphKey key) =>
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
            Staging.Upload(_context, ws.X, ws.HostX, (long)hidden.Batch.BatchSize * ws.Shape.Tokens * Config.NEmbd * 4);
            _kernels.LayerNormF(ws.X.Pointer, ws.X.Pointer, gamma.Pointer, _weights.FinalNormBeta!.Pointer, ws.Shape.Rows, Config.NEmbd, Config.LayerNormEpsilon);
            Staging.Download(_context, ws, hidden, "final norm");
        }
    }

    /// <summary>The steps of one block, in the order <see cref="EnqueueLayers"/> marks them.</summary>
    public static IReadOnlyList<string> BlockSteps { get; } =
        ["ln_1", "qkv product + bias", "attention", "attn.c_proj + bias + residual", "ln_2", "mlp.c_fc + bias + GELU", "mlp.c_proj + bias + residual"];

    /// <summary>
    /// Enqueues blocks [from, to) on the workspace's x; no synchronisation, so it can be captured. <paramref name="mark"/>, when
    /// given, is called before each step of a block and after the last (0 .. <see cref="BlockSteps"/>.Count).
    /// </summary>
    internal void EnqueueLayers(CudaWorkspace ws, int from, int to, Action<int>? mark = null)
    {
        for (var layer = from; layer < to; layer++) EnqueueBlock(ws, _weights.Layer(layer), mark);
    }

    /// <summary>Enqueues one block with the weights <paramref name="w"/> on the workspace's x (<paramref name="mark"/> as in <see cref="EnqueueLayers"/>).</summary>
    internal void EnqueueBlock(CudaWorkspace ws, CudaLayerWeights w, Action<int>? mark = null)
    {
        for (var step = 0; step < BlockSteps.Count; step++)
        {
            mark?.Invoke(step);
            EnqueueStep(ws, w, step);
        }
        mark?.Invoke(BlockSteps.Count);
    }

    /// <summary>One step of a block (<see cref="BlockSteps"/>): attention x += proj(attn(ln_1(x))), MLP x += proj(gelu(fc(ln_2(x)))).</summary>
    internal void EnqueueStep(CudaWorkspace ws, CudaLayerWeights w, int step)
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
    /// Tunes the new workspace's products (unless the options turn it off), then runs one block eagerly on zeros before any
    /// capture: cuBLASLt and the driver load kernels lazily on first use, which is not allowed while a stream is being captured.
    /// </summary>
    private void WarmUp(CudaWorkspace ws)
    {
        // Zero every activation: rows a request never uploads (padded sequences) must hold finite values.
        Staging.ZeroActivations(_context, ws);
        var present = Enumerable.Range(0, Config.NLayer).Where(_weights.HasLayer).Take(WorkspaceTuning.Layers).ToArray();
        if (present.Length > 0)
        {
            if (_options.TuneProducts)
            {
                WorkspaceTuning.Tune(_context, ws, [.. present.Select(_weights.Layer)], _options.TuneInBlock, _kernels.DependentLaunchAvailable,
                    w => EnqueueBlock(ws, w));
            }
            EnqueueLayers(ws, present[0], present[0] + 1);
        }
        if (_weights.FinalNormGamma is not null)
            _kernels.LayerNormF(ws.X.Pointer, ws.X.Pointer, _weights.FinalNormGamma.Pointer, _weights.FinalNormBeta!.Pointer, ws.Shape.Rows, Config.NEmbd, Config.LayerNormEpsilon);
        _context.Synchronize($"warm-up of workspace {ws.Shape}");
    }

    /// <summary>
    /// Runs <paramref name="work"/> under the lock on <paramref name="batch"/>'s workspace, its ids and mask uploaded (queued on
    /// the stream): how the profiler times the backend between requests.
    /// </summary>
    internal T OnStagedBatch<T>(TokenBatch batch, Func<CudaWorkspace, T> work)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _context.MakeCurrent();
            var ws = Workspace(batch);
            UploadIdsAndMask(batch, ws);
            return work(ws);
        }
    }

    private void UploadIdsAndMask(TokenBatch batch, CudaWorkspace ws)
    {
        Staging.Ids(batch, ws);
        Staging.Mask(batch, ws);
        Staging.Upload(_context, ws.Ids, ws.HostIds, ws.Shape.Rows * 4L);
        Staging.Upload(_context, ws.Mask, ws.HostMask, ws.Shape.Rows);
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
