using SplitCompute.Model.Encoders;
using SplitCompute.Model.Forward;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Backend;

/// <summary>
/// A BERT-family encoder's blocks [k, N) on a WebGPU device (issue 22), with GPT-2's kernels where the math is shared (matmul,
/// LayerNorm) and their encoder modes (bidirectional attention over the real keys, erf GELU), in post-LayerNorm order:
/// x = LN(x + attn(x) W_o + b_o); x = LN(x + gelu(x W_i + b_i) W_2 + b_2). The weights are uploaded once, re-laid-out for the
/// kernels (<see cref="GpuEncoderLayerWeights"/>); a range is one upload, one command buffer (7 dispatches per block; the GELU is fused into the intermediate product) and one
/// readback. There is no final norm. Legend: B batch, T tokens, C channels, H heads, I intermediate, R = B*T.
/// </summary>
public sealed class WebGpuEncoderBackend : ILayerRangeBackend
{
    private readonly WebGpuDevice _device;
    private readonly bool _ownsDevice;
    private readonly KernelCache _kernels;
    private readonly GpuEncoderLayerWeights?[] _layers;
    private GpuWorkspace? _workspace;

    /// <param name="encoder">The bound tail (<see cref="BertCpuEncoder.BindTail"/>); read during construction only.</param>
    public WebGpuEncoderBackend(BertCpuEncoder encoder, WebGpuDevice device, WebGpuBackendOptions? options = null, bool ownsDevice = false)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(device);
        (_device, _ownsDevice, Config, FirstLayer) = (device, ownsDevice, encoder.Config, encoder.FirstLayer);
        Precision = (options ?? new WebGpuBackendOptions()).Precision;
        if (Precision == WeightPrecision.F16 && !device.HasShaderF16)
            throw new WebGpuException($"f16 weights need the shader-f16 feature, which {device.Description} does not offer; use f32");
        (options ?? new WebGpuBackendOptions()).ApplyTuning(device);
        _kernels = device.Kernels;
        _layers = new GpuEncoderLayerWeights?[Config.NumLayers];
        using var gate = device.Gate.EnterScope();
        try
        {
            for (var layer = FirstLayer; layer < Config.NumLayers; layer++) _layers[layer] = GpuEncoderLayerWeights.Upload(device, encoder, layer, Precision);
            device.Staging.Flush("uploading encoder weights");
            BlockKernels.CompileAll(_kernels, Precision, VectorColumns, Config.HiddenSize, Config.HiddenSize / Config.NumHeads);
        }
        catch
        {
            device.DiscardStagedUploads();
            ReleaseGpuMemory();
            throw;
        }
    }

    /// <summary>Opens a device of its own (the first Vulkan adapter) and binds the encoder's tail to it.</summary>
    public static WebGpuEncoderBackend Create(BertCpuEncoder encoder, WebGpuBackendOptions? options = null) =>
        WebGpuDevice.OpenFor(device => new WebGpuEncoderBackend(encoder, device, options, ownsDevice: true));

    public string Name => "webgpu";

    public BertConfig Config { get; }

    public int FirstLayer { get; }

    public LayerStackShape Shape => new(Config.NumLayers, Config.HiddenSize, Config.NumHeads, AttentionOp.MaxTokens, Config.VocabSize, Causal: false);

    public WeightPrecision Precision { get; }

    public HiddenState Embed(TokenBatch batch) =>
        throw new NotSupportedException("the WebGPU encoder backend runs tail blocks [k, N); embeddings come from the worker");

    public void RunLayers(HiddenState hidden, int from, int to)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (from != hidden.LayersDone || to < from || to > Config.NumLayers)
            throw new ArgumentOutOfRangeException(nameof(to), $"layers [{from}, {to}) do not follow the {hidden.LayersDone} done (the model has {Config.NumLayers})");
        if (from < FirstLayer) throw new ArgumentOutOfRangeException(nameof(from), $"block {from} is not loaded: this backend holds [{FirstLayer}, {Config.NumLayers})");
        if (hidden.Channels != Config.HiddenSize) throw new ArgumentException($"the hidden state has {hidden.Channels} channels; the encoder has {Config.HiddenSize}", nameof(hidden));
        if (from == to) return;
        var batch = hidden.Batch;
        var (b, t, c, inner) = (batch.BatchSize, batch.SequenceLength, Config.HiddenSize, Config.IntermediateSize);
        var rows = b * t;
        lock (_device.Gate)
        {
            _device.ThrowIfLost($"encoder layers [{from}, {to}) B={b} T={t}");
            var ws = GpuWorkspace.Ensure(ref _workspace, _device, rows, c, inner);
            ws.WriteInput(_device, hidden);                                              // x (R, C) and the mask (B, T), once
            MatmulOp.WriteParams(_device, ws.QkvParams, rows, 3 * c, c, ProductEpilogue.Store);
            MatmulOp.WriteParams(_device, ws.ProjParams, rows, c, c, ProductEpilogue.Accumulate);
            MatmulOp.WriteParams(_device, ws.FcParams, rows, inner, c, ProductEpilogue.GeluErf);
            MatmulOp.WriteParams(_device, ws.FcProjParams, rows, c, inner, ProductEpilogue.Accumulate);
            LayerNormOp.WriteParams(_device, ws.LayerNormParams, rows, c, Config.LayerNormEpsilon);
            AttentionOp.WriteParams(_device, ws.AttentionParams, t, c, Config.NumHeads, causal: false);

            using (var recorder = new CommandRecorder(_device, $"encoder layers [{from}, {to}) B={b} T={t}"))
            {
                for (var layer = from; layer < to; layer++) RecordBlock(recorder, ws, layer, b, t);
                recorder.Copy(ws.X, ws.Readback, (ulong)rows * (ulong)c * 4);
                recorder.Submit();
            }
            ws.Readback.ReadMapped<float>(_device, hidden.Data);
            hidden.LayersDone = to;
        }
    }

    /// <summary>Post-LayerNorm encoders end with their last block: nothing to apply.</summary>
    public void ApplyFinalNorm(HiddenState hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.LayersDone != Config.NumLayers) throw new InvalidOperationException($"the encoder's output needs all {Config.NumLayers} layers; {hidden.LayersDone} are done");
    }

    /// <summary>Every product's N (3C, C, I) is a multiple of 4, so the faster product kernel runs (<see cref="MatmulOp.Kernel"/>).</summary>
    private bool VectorColumns => Config.HiddenSize % 4 == 0 && Config.IntermediateSize % 4 == 0;

    /// <summary>One block, post-LN; x holds its input and gets its output, normed holds the half-way state.</summary>
    private void RecordBlock(CommandRecorder recorder, GpuWorkspace ws, int layer, int b, int t)
    {
        var (c, inner, rows) = (Config.HiddenSize, Config.IntermediateSize, b * t);
        var matmul = MatmulOp.Kernel(_kernels, Precision, VectorColumns);
        var layerNorm = LayerNormOp.Kernel(_kernels, Config.HiddenSize);
        var attention = AttentionOp.Kernel(_kernels, Config.HiddenSize / Config.NumHeads);
        var g = Bindings(ws, layer, matmul, layerNorm, attention);
        MatmulOp.Record(recorder, matmul, g[0], rows, 3 * c);              // x (R, C) x (C, 3C) + b -> qkv (R, 3C)
        AttentionOp.Record(recorder, attention, g[1], b, t, Config.NumHeads);  // qkv -> attention (R, C), every real key
        MatmulOp.Record(recorder, matmul, g[2], rows, c);                  // x += attention (R, C) x (C, C) + b
        LayerNormOp.Record(recorder, layerNorm, g[3], rows);               // normed = LN(x)
        MatmulOp.Record(recorder, matmul, g[4], rows, inner);              // erf GELU(normed (R, C) x (C, I) + b) -> mlp (R, I)
        MatmulOp.Record(recorder, matmul, g[5], rows, c);                  // normed += mlp (R, I) x (I, C) + b
        LayerNormOp.Record(recorder, layerNorm, g[6], rows);               // x = LN(normed)
    }

    private LayerBindings Bindings(GpuWorkspace ws, int layer, ComputeKernel matmul, ComputeKernel layerNorm, ComputeKernel attention)
    {
        if (ws.Bindings.TryGetValue(layer, out var cached)) return cached;
        var w = _layers[layer]!;
        var d = _device;
        var p = $"encoder.layer.{layer}";
        var bindings = new LayerBindings(
            MatmulOp.Bind(d, matmul, $"{p}.attention.self.qkv", ws.QkvParams, ws.X, w.QkvWeight, w.QkvBias, ws.Qkv),
            AttentionOp.Bind(d, attention, $"{p}.attention", ws.AttentionParams, ws.Qkv, ws.Mask, ws.Attention),
            MatmulOp.Bind(d, matmul, $"{p}.attention.output.dense", ws.ProjParams, ws.Attention, w.OutWeight, w.OutBias, ws.X),
            LayerNormOp.Bind(d, layerNorm, $"{p}.attention.output.LayerNorm", ws.LayerNormParams, ws.X, w.AttentionNormWeight, w.AttentionNormBias, ws.Normed),
            MatmulOp.Bind(d, matmul, $"{p}.intermediate.dense", ws.FcParams, ws.Normed, w.IntermediateWeight, w.IntermediateBias, ws.Mlp),
            MatmulOp.Bind(d, matmul, $"{p}.output.dense", ws.FcProjParams, ws.Mlp, w.OutputWeight, w.OutputBias, ws.Normed),
            LayerNormOp.Bind(d, layerNorm, $"{p}.output.LayerNorm", ws.LayerNormParams, ws.Normed, w.OutputNormWeight, w.OutputNormBias, ws.X));
        ws.Bindings.Add(layer, bindings);
        return bindings;
    }

    private void ReleaseGpuMemory()
    {
        _workspace?.Dispose();
        _workspace = null;
        foreach (var layer in _layers) layer?.Dispose();
        Array.Clear(_layers);
    }

    public void Dispose()
    {
        lock (_device.Gate)
        {
            ReleaseGpuMemory();
            if (_ownsDevice) _device.Dispose();
        }
    }
}
