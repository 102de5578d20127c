using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Blas;
using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;
using SplitCompute.Cuda.Kernels;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.Forward;

namespace SplitCompute.Cuda.Encoders;

/// <summary>
/// A BERT-family encoder on one NVIDIA GPU behind the layer-range API (issue 22), built from the GPT-2 backend's parts: the same
/// cuBLASLt products (fp16 or fp32) and workspaces, gpt2.cu compiled bidirectional (SC_CAUSAL = 0: every query attends every
/// unpadded key, on tensor cores at D = 64 in fp16), plus encoder.cuh. A post-LayerNorm block is 10 launches:
///   normed = X(x); qkv = normed W_qkv + b; att = attention(qkv); x += att W_o + b; x = LN_1(x);
///   normed = X(x); mlp = normed W_1 + b; mlp = GELU_erf(mlp); x += mlp W_2 + b; x = LN_2(x).
/// Batches run at a padded <see cref="ShapeBucket"/>, each (bucket, layer range) captured once as a CUDA graph. The residual
/// stream x stays fp32. Legend: B batch, T tokens, C channels, H heads, I inner width, R = B * T rows.
/// </summary>
public sealed unsafe class CudaEncoderBackend : ILayerRangeBackend, IDeviceMemoryReport
{
    private readonly Lock _gate = new();
    private readonly CudaContext _context;
    private readonly bool _ownsContext;
    private readonly CudaBackendOptions _options;
    private readonly Gpt2Kernels _kernels;
    private readonly LtHandle _lt;
    private readonly CudaEncoderWeights _weights;
    private readonly Dictionary<ShapeBucket, CudaWorkspace> _workspaces = [];
    private readonly LruCache<GraphKey, CudaGraph> _graphs;
    private bool _disposed;

    private CudaEncoderBackend(CudaContext context, bool ownsContext, BertCpuEncoder source, CudaBackendOptions options)
    {
        var config = source.Config;
        (_context, _ownsContext, _options, Config) = (context, ownsContext, options, config);
        context.MakeCurrent();
        _kernels = new Gpt2Kernels(context, options.Precision, options.TensorCoreAttention, options.AttentionWarps, options.AttentionKeySplit,
            options.KernelCacheDirectory, dependentLaunch: false, causal: false);
        try
        {
            _lt = new LtHandle(context);
            _weights = CudaEncoderWeights.Upload(context, source, options.Precision);
            _graphs = new LruCache<GraphKey, CudaGraph>(options.MaxGraphs);
        }
        catch
        {
            _lt?.Dispose();
            _kernels.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Why this backend cannot run <paramref name="source"/> (null: it can). The worker's "auto" device then serves it on the CPU,
    /// saying why: the attention kernels take head sizes 4 .. 128 (powers of two; BERT's 64 and MiniLM's 32 among them), a LayerNorm
    /// block holds at most 2048 channels, and fp16 rows must be 16-byte aligned (C a multiple of 8).
    /// </summary>
    public static string? Unsupported(BertCpuEncoder source, CudaPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source.FirstLayer != 0
            ? $"the CUDA encoder runs whole models; this one binds only blocks [{source.FirstLayer}, {source.Config.NumLayers})"
            : Unsupported(source.Config, precision);
    }

    /// <summary>Why this backend cannot run an encoder of shape <paramref name="c"/> (null: it can).</summary>
    public static string? Unsupported(BertConfig c, CudaPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.HiddenSize % c.NumHeads != 0) return $"hidden_size {c.HiddenSize} is not a multiple of num_attention_heads {c.NumHeads}";
        if (!Gpt2Kernels.SupportsHeadDim(c.HeadDim)) return $"head size {c.HeadDim} (hidden_size {c.HiddenSize} / {c.NumHeads} heads): the CUDA attention kernels take 4, 8, 16, 32, 64 or 128";
        if (c.HiddenSize > Gpt2KernelConstants.LayerNormMaxChannels) return $"hidden_size {c.HiddenSize} exceeds the {Gpt2KernelConstants.LayerNormMaxChannels} channels a LayerNorm block holds";
        if (precision == CudaPrecision.Float16 && (c.HiddenSize % 8 != 0 || c.IntermediateSize % 8 != 0))
            return $"fp16 needs hidden_size ({c.HiddenSize}) and intermediate_size ({c.IntermediateSize}) to be multiples of 8";
        return null;
    }

    /// <summary>Opens the GPU in <paramref name="options"/> and uploads <paramref name="source"/>'s parameters; the backend owns that context.</summary>
    /// <exception cref="CudaUnavailableException">No usable CUDA here, or a shape the kernels do not take (<see cref="Unsupported"/>).</exception>
    public static CudaEncoderBackend Create(BertCpuEncoder source, CudaBackendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new CudaBackendOptions();
        if (Unsupported(source, options.Precision) is { } reason) throw new CudaUnavailableException($"{source.Config.ModelType} encoder on CUDA: {reason}");
        return OwnedContext.Open(options, context => new CudaEncoderBackend(context, ownsContext: true, source, options));
    }

    /// <summary>Uploads <paramref name="source"/>'s parameters to an already open GPU.</summary>
    public static CudaEncoderBackend Create(CudaContext context, BertCpuEncoder source, CudaBackendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new CudaBackendOptions();
        if (Unsupported(source, options.Precision) is { } reason) throw new CudaUnavailableException($"{source.Config.ModelType} encoder on CUDA: {reason}");
        return new CudaEncoderBackend(context, ownsContext: false, source, options);
    }

    public string Name => "cuda";

    public BertConfig Config { get; }

    public LayerStackShape Shape => new(Config.NumLayers, Config.HiddenSize, Config.NumHeads, MaxTokens, Config.VocabSize, Causal: false);

    public CudaContext Device => _context;

    public CudaPrecision Precision => _options.Precision;

    /// <summary>The longest sequence: the position table less RoBERTa's offset.</summary>
    private int MaxTokens => Config.MaxPositions - Config.PositionOffset;

    public long DeviceMemoryBytes
    {
        get
        {
            var (free, total) = _context.MemoryInfo();
            return total - free;
        }
    }

    /// <summary>Embeddings and their LayerNorm on the GPU: (B, T) ids -> (B, T, C) fp32 in host memory, token type 0.</summary>
    public HiddenState Embed(TokenBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.SequenceLength > MaxTokens)
            throw new ArgumentException($"a sequence of {batch.SequenceLength} tokens exceeds the model's {MaxTokens} positions", nameof(batch));
        var ids = batch.Ids;
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(batch), $"token id {ids[i]} (sequence {i / batch.SequenceLength}, position {i % batch.SequenceLength}) is outside the vocabulary [0, {Config.VocabSize})");
        }
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _context.MakeCurrent();
            var ws = Workspace(batch);
            Staging.Ids(batch, ws);
            Staging.Upload(_context, ws.Ids, ws.HostIds, ws.Shape.Rows * 4L);
            EnqueueEmbed(ws);
            var hidden = new HiddenState(batch, Config.HiddenSize, new float[(long)batch.BatchSize * batch.SequenceLength * Config.HiddenSize], 0);
            Staging.Download(_context, ws, hidden, "embed");
            return hidden;
        }
    }

    /// <summary>Blocks [from, to) on the GPU, in place on <paramref name="hidden"/>.</summary>
    public void RunLayers(HiddenState hidden, int from, int to)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (from < 0 || to > Config.NumLayers || from > to)
            throw new ArgumentOutOfRangeException(nameof(to), $"layer range [{from}, {to}) is outside [0, {Config.NumLayers}]");
        if (hidden.LayersDone != from)
            throw new ArgumentException($"the hidden state has {hidden.LayersDone} layers applied, but the range starts at {from}", nameof(hidden));
        if (hidden.Channels != Config.HiddenSize)
            throw new ArgumentException($"the hidden state has C = {hidden.Channels}, the model has hidden_size = {Config.HiddenSize}", nameof(hidden));
        if (from == to) return;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _context.MakeCurrent();
            var ws = Workspace(hidden.Batch);
            Staging.Hidden(hidden, ws);
            Staging.Mask(hidden.Batch, ws);
            Staging.Upload(_context, ws.X, ws.HostX, (long)hidden.Batch.BatchSize * ws.Shape.Tokens * Config.HiddenSize * 4);
            Staging.Upload(_context, ws.Mask, ws.HostMask, ws.Shape.Rows);
            if (_options.UseGraphs)
                _graphs.GetOrAdd(new GraphKey(ws.Shape, from, to), k => CudaGraph.Capture(_context, $"encoder {k}", () => EnqueueLayers(ws, k.From, k.To))).Launch();
            else EnqueueLayers(ws, from, to);
            Staging.Download(_context, ws, hidden, $"layers [{from}, {to})");
            hidden.LayersDone = to;
        }
    }

    /// <summary>Post-LayerNorm encoders end with their last block: nothing to apply.</summary>
    public void ApplyFinalNorm(HiddenState hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.LayersDone != Config.NumLayers) throw new InvalidOperationException($"the encoder's output needs all {Config.NumLayers} layers; {hidden.LayersDone} are done");
    }

    /// <summary>
    /// GPU milliseconds of one whole forward pass of <paramref name="batch"/> (embeddings and every block, one CUDA graph, ids and
    /// mask already on the GPU, no host copies of the hidden state): what PyTorch's anchors time. Median of <paramref name="replays"/>.
    /// </summary>
    internal double DeviceMsPerPass(TokenBatch batch, int replays)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _context.MakeCurrent();
            var ws = Workspace(batch);
            Staging.Ids(batch, ws);
            Staging.Mask(batch, ws);
            Staging.Upload(_context, ws.Ids, ws.HostIds, ws.Shape.Rows * 4L);
            Staging.Upload(_context, ws.Mask, ws.HostMask, ws.Shape.Rows);
            return GraphTiming.MsPerLaunch(_context, $"encoder pass {ws.Shape}", 1, _ =>
            {
                EnqueueEmbed(ws);
                EnqueueLayers(ws, 0, Config.NumLayers);
            }, replays);
        }
    }

    /// <summary>The steps of one block, in the order <see cref="EnqueueStep"/> takes them.</summary>
    public static IReadOnlyList<string> BlockSteps { get; } =
    [
        "x -> products' input", "qkv product + bias", "attention (bidirectional)", "attention.output.dense + bias + residual", "attention.output.LayerNorm",
        "x -> products' input", "intermediate.dense + bias", "GELU (erf)", "output.dense + bias + residual", "output.LayerNorm",
    ];

    /// <summary>x (R, C) fp32 = LayerNorm(words[ids] + positions + type 0) over the whole bucket, from the ids on the GPU.</summary>
    private void EnqueueEmbed(CudaWorkspace ws)
    {
        var (rows, c) = (ws.Shape.Rows, Config.HiddenSize);
        _kernels.EmbedEncoder(ws.X.Pointer, ws.Ids.Pointer, _weights.Words.Pointer, _weights.Positions.Pointer, _weights.TokenType0.Pointer, rows, ws.Shape.Tokens, c, Config.PositionOffset);
        _kernels.LayerNormF(ws.X.Pointer, ws.X.Pointer, _weights.EmbeddingNormGamma.Pointer, _weights.EmbeddingNormBeta.Pointer, rows, c, Config.LayerNormEpsilon);
    }

    private void EnqueueLayers(CudaWorkspace ws, int from, int to)
    {
        for (var layer = from; layer < to; layer++)
        {
            var w = _weights.Layer(layer);
            for (var step = 0; step < BlockSteps.Count; step++) EnqueueStep(ws, w, step);
        }
    }

    private void EnqueueStep(CudaWorkspace ws, CudaLayerWeights w, int step)
    {
        var (c, h, eps, inner) = (Config.HiddenSize, Config.NumHeads, Config.LayerNormEpsilon, Config.IntermediateSize);
        var rows = ws.Shape.Rows;
        switch (step)
        {
            case 0 or 5:
                _kernels.ToX(ws.Normed.Pointer, ws.X.Pointer, (long)rows * c);                                                   // (R, C) fp32 -> X
                break;
            case 1:
                ws.QkvProduct.Run(ws.Normed.Pointer, w.QkvWeight.Pointer, w.QkvBias.Pointer, ws.Qkv.Pointer, 0f);               // (R, C) . (C, 3C) + b
                break;
            case 2:
                _kernels.Attention(ws.Attention.Pointer, ws.Qkv.Pointer, ws.Mask.Pointer, ws.Shape.Batch, ws.Shape.Tokens, c, h); // (R, 3C) -> (R, C)
                break;
            case 3:
                ws.ProjProduct.Run(ws.Attention.Pointer, w.ProjWeight.Pointer, w.ProjBias.Pointer, ws.X.Pointer, 1f);           // x += (R, C) . (C, C) + b
                break;
            case 4:
                _kernels.LayerNormF(ws.X.Pointer, ws.X.Pointer, w.Ln1Gamma.Pointer, w.Ln1Beta.Pointer, rows, c, eps);            // x = LN(x), fp32 in place
                break;
            case 6:
                ws.FcProduct.Run(ws.Normed.Pointer, w.FcWeight.Pointer, w.FcBias.Pointer, ws.Mlp.Pointer, 0f);                  // (R, C) . (C, I) + b
                break;
            case 7:
                _kernels.GeluErf(ws.Mlp.Pointer, (long)rows * inner);
                break;
            case 8:
                ws.FcProjProduct.Run(ws.Mlp.Pointer, w.FcProjWeight.Pointer, w.FcProjBias.Pointer, ws.X.Pointer, 1f);           // x += (R, I) . (I, C) + b
                break;
            case 9:
                _kernels.LayerNormF(ws.X.Pointer, ws.X.Pointer, w.Ln2Gamma.Pointer, w.Ln2Beta.Pointer, rows, c, eps);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(step), $"an encoder block has {BlockSteps.Count} steps, not step {step}");
        }
    }

    private CudaWorkspace Workspace(TokenBatch batch) => Workspace(ShapeBucket.For(batch.BatchSize, batch.SequenceLength, MaxTokens));

    private CudaWorkspace Workspace(ShapeBucket shape)
    {
        if (_workspaces.TryGetValue(shape, out var ws)) return ws;
        ws = new CudaWorkspace(_lt, hopper: null, forcedSplit: 0, shape, Config.HiddenSize, _options.Precision, fuseGelu: false, transposedWeights: true, Config.IntermediateSize);
        try
        {
            // Zero every activation (padded rows must hold finite values), then one block and the embeddings eagerly: cuBLASLt
            // and the driver load kernels lazily on first use, which is not allowed while a graph is being captured.
            Staging.ZeroActivations(_context, ws);
            EnqueueEmbed(ws);
            EnqueueLayers(ws, 0, 1);
            _context.Synchronize($"warm-up of encoder workspace {ws.Shape}");
        }
        catch
        {
            ws.Dispose();
            throw;
        }
        _workspaces[shape] = ws;
        return ws;
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
            _kernels.Dispose();
            if (_ownsContext) _context.Dispose();
        }
    }
}
