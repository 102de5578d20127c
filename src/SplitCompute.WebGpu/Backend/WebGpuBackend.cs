using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Backend;

/// <summary>
/// GPT-2 blocks on a WebGPU device through Dawn: the weights of the bound layers (and the final norm) are uploaded once and stay
/// resident; <see cref="RunLayers"/> copies the hidden state up once, records every block of the range into one command buffer
/// (7 dispatches per block; the GELU is fused into the MLP's first product), submits it once and reads the result back once. Legend: B batch, T tokens, C channels, H heads, R = B*T.
/// The edge never embeds, so <see cref="Embed"/> is not supported. Calls are serialised on the device's gate (one queue).
/// A lost device is never silent: <see cref="RunLayers"/> and <see cref="ApplyFinalNorm"/> throw <see cref="WebGpuDeviceLostException"/>
/// (checked before anything is queued, after the submission and before the readback is copied), and the hidden state is then
/// left as it was given; the backend is unusable after that and must be replaced by one on a new device.
/// </summary>
public sealed class WebGpuBackend : ILayerRangeBackend
{
    private const int FinalNormKey = -1;

    private readonly Gpt2Weights _weights;
    private readonly WebGpuDevice _device;
    private readonly bool _ownsDevice;
    private readonly KernelCache _kernels;
    private readonly GpuLayerWeights?[] _layers;
    private readonly GpuBuffer? _finalNormWeight;
    private readonly GpuBuffer? _finalNormBias;
    private GpuWorkspace? _workspace;

    /// <param name="weights">The bound layers; read during construction only (the backend does not own them).</param>
    /// <param name="device">The device to run on; the backend owns it only when <paramref name="ownsDevice"/>.</param>
    public WebGpuBackend(Gpt2Weights weights, WebGpuDevice device, WebGpuBackendOptions? options = null, bool ownsDevice = false)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(device);
        _weights = weights;
        _device = device;
        _ownsDevice = ownsDevice;
        Precision = (options ?? new WebGpuBackendOptions()).Precision;
        if (Precision == WeightPrecision.F16 && !device.HasShaderF16)
            throw new WebGpuException($"f16 weights need the shader-f16 feature, which {device.Description} does not offer; use f32");
        (options ?? new WebGpuBackendOptions()).ApplyTuning(device);
        _kernels = device.Kernels;  // compiled once per device: a second backend on it (another k) compiles nothing
        _layers = new GpuLayerWeights?[weights.Config.NLayer];
        using var gate = device.Gate.EnterScope();
        try
        {
            for (var layer = 0; layer < _layers.Length; layer++)
            {
                if (weights.HasLayer(layer)) _layers[layer] = GpuLayerWeights.Upload(device, weights.Layer(layer), Precision);
            }
            if (weights.FinalNormWeight is not null)
            {
                _finalNormWeight = TensorUpload.Upload(device, weights.FinalNormWeight, WeightPrecision.F32);
                _finalNormBias = TensorUpload.Upload(device, weights.FinalNormBias!, WeightPrecision.F32);
            }
            device.Staging.Flush("uploading weights");  // resident (and a failure seen) before the constructor returns
            BlockKernels.CompileAll(_kernels, Precision, VectorColumns, weights.Config.NEmbd, weights.Config.NEmbd / weights.Config.NHead);
        }
        catch
        {
            device.DiscardStagedUploads();  // copies into the buffers released next must not ride along with the next upload
            ReleaseGpuMemory();
            throw;
        }
    }

    /// <summary>Opens a device of its own (the first Vulkan adapter) and binds <paramref name="weights"/> to it.</summary>
    public static WebGpuBackend Create(Gpt2Weights weights, WebGpuBackendOptions? options = null) =>
        WebGpuDevice.OpenFor(device => new WebGpuBackend(weights, device, options, ownsDevice: true));

    public string Name => "webgpu";

    public Gpt2Config Config => _weights.Config;

    public LayerStackShape Shape => Config.Shape;

    public WeightPrecision Precision { get; }

    public WebGpuDevice Device => _device;

    /// <summary>Bytes of weights resident on the GPU.</summary>
    public long ResidentWeightBytes => _layers.Sum(l => l?.Bytes ?? 0) + (long)(_finalNormWeight?.Size ?? 0) + (long)(_finalNormBias?.Size ?? 0);

    public HiddenState Embed(TokenBatch batch) =>
        throw new NotSupportedException("the WebGPU backend runs tail layers [k, N) and the final norm; embeddings come from the worker (or the CPU backend)");

    public void RunLayers(HiddenState hidden, int from, int to)
    {
        LayerRange.Validate(Config, hidden, from, to);
        for (var layer = from; layer < to; layer++)
        {
            if (_layers[layer] is null) throw new InvalidOperationException($"layer {layer} is not loaded on the WebGPU backend");
        }
        if (from == to) return;
        var batch = hidden.Batch;
        var (b, t, c) = (batch.BatchSize, batch.SequenceLength, Config.NEmbd);
        var rows = b * t;
        lock (_device.Gate)
        {
            _device.ThrowIfLost($"layers [{from}, {to}) B={b} T={t}");
            var ws = GpuWorkspace.Ensure(ref _workspace, _device, rows, c);
            ws.WriteInput(_device, hidden);                                              // x (R, C) and the mask (B, T), once
            MatmulOp.WriteParams(_device, ws.QkvParams, rows, 3 * c, c, ProductEpilogue.Store);
            MatmulOp.WriteParams(_device, ws.ProjParams, rows, c, c, ProductEpilogue.Accumulate);
            MatmulOp.WriteParams(_device, ws.FcParams, rows, 4 * c, c, ProductEpilogue.GeluTanh);
            MatmulOp.WriteParams(_device, ws.FcProjParams, rows, c, 4 * c, ProductEpilogue.Accumulate);
            LayerNormOp.WriteParams(_device, ws.LayerNormParams, rows, c, Config.LayerNormEpsilon);
            AttentionOp.WriteParams(_device, ws.AttentionParams, t, c, Config.NHead);

            using (var recorder = new CommandRecorder(_device, $"layers [{from}, {to}) B={b} T={t}"))
            {
                for (var layer = from; layer < to; layer++) RecordBlock(recorder, ws, layer, b, t);
                recorder.Copy(ws.X, ws.Readback, (ulong)rows * (ulong)c * 4);
                recorder.Submit();                                                       // one submission for the range
            }
            ws.Readback.ReadMapped<float>(_device, hidden.Data);                        // once
            hidden.LayersDone = to;
        }
    }

    public void ApplyFinalNorm(HiddenState hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.LayersDone != Config.NLayer)
            throw new ArgumentException($"the final norm needs all {Config.NLayer} layers; the hidden state has {hidden.LayersDone}", nameof(hidden));
        if (_finalNormWeight is null) throw new InvalidOperationException("this WebGPU backend was loaded without the final norm");
        var rows = hidden.Batch.BatchSize * hidden.Batch.SequenceLength;
        var c = Config.NEmbd;
        lock (_device.Gate)
        {
            _device.ThrowIfLost($"final norm R={rows}");
            var ws = GpuWorkspace.Ensure(ref _workspace, _device, rows, c);
            ws.X.Write<float>(_device, hidden.Data);
            LayerNormOp.WriteParams(_device, ws.LayerNormParams, rows, c, Config.LayerNormEpsilon);
            var kernel = LayerNormOp.Kernel(_kernels, Config.NEmbd);
            if (!ws.Bindings.TryGetValue(FinalNormKey, out var bindings))
            {
                bindings = new LayerBindings(LayerNormOp.Bind(_device, kernel, "ln_f", ws.LayerNormParams, ws.X, _finalNormWeight, _finalNormBias!, ws.Normed));
                ws.Bindings.Add(FinalNormKey, bindings);
            }
            using (var recorder = new CommandRecorder(_device, $"final norm R={rows}"))
            {
                LayerNormOp.Record(recorder, kernel, bindings[0], rows);                  // (R, C) -> (R, C)
                recorder.Copy(ws.Normed, ws.Readback, (ulong)rows * (ulong)c * 4);
                recorder.Submit();
            }
            ws.Readback.ReadMapped<float>(_device, hidden.Data);
        }
    }

    /// <summary>Every product's N (3C, C, 4C) is a multiple of 4, so the faster product kernel runs (<see cref="MatmulOp.Kernel"/>).</summary>
    private bool VectorColumns => Config.NEmbd % 4 == 0;

    /// <summary>x += proj(attn(ln_1(x))); x += fc_proj(gelu(fc(ln_2(x)))) on the workspace, all on the GPU.</summary>
    private void RecordBlock(CommandRecorder recorder, GpuWorkspace ws, int layer, int b, int t)
    {
        var (c, rows) = (Config.NEmbd, b * t);
        var matmul = MatmulOp.Kernel(_kernels, Precision, VectorColumns);
        var layerNorm = LayerNormOp.Kernel(_kernels, Config.NEmbd);
        var attention = AttentionOp.Kernel(_kernels, Config.NEmbd / Config.NHead);
        var g = Bindings(ws, layer, matmul, layerNorm, attention);
        LayerNormOp.Record(recorder, layerNorm, g[0], rows);           // ln_1: x (R, C) -> normed (R, C)
        MatmulOp.Record(recorder, matmul, g[1], rows, 3 * c);          // normed (R, C) x (C, 3C) + b -> qkv (R, 3C)
        AttentionOp.Record(recorder, attention, g[2], b, t, Config.NHead);  // qkv -> attention (R, C)
        MatmulOp.Record(recorder, matmul, g[3], rows, c);              // x += attention (R, C) x (C, C) + b
        LayerNormOp.Record(recorder, layerNorm, g[4], rows);           // ln_2: x -> normed
        MatmulOp.Record(recorder, matmul, g[5], rows, 4 * c);          // tanh GELU(normed (R, C) x (C, 4C) + b) -> mlp (R, 4C)
        MatmulOp.Record(recorder, matmul, g[6], rows, c);              // x += mlp (R, 4C) x (4C, C) + b
    }

    private LayerBindings Bindings(GpuWorkspace ws, int layer, ComputeKernel matmul, ComputeKernel layerNorm, ComputeKernel attention)
    {
        if (ws.Bindings.TryGetValue(layer, out var cached)) return cached;
        var w = _layers[layer]!;
        var d = _device;
        var bindings = new LayerBindings(
            LayerNormOp.Bind(d, layerNorm, $"h.{layer}.ln_1", ws.LayerNormParams, ws.X, w.Ln1Weight, w.Ln1Bias, ws.Normed),
            MatmulOp.Bind(d, matmul, $"h.{layer}.attn.c_attn", ws.QkvParams, ws.Normed, w.AttnQkvWeight, w.AttnQkvBias, ws.Qkv),
            AttentionOp.Bind(d, attention, $"h.{layer}.attn", ws.AttentionParams, ws.Qkv, ws.Mask, ws.Attention),
            MatmulOp.Bind(d, matmul, $"h.{layer}.attn.c_proj", ws.ProjParams, ws.Attention, w.AttnProjWeight, w.AttnProjBias, ws.X),
            LayerNormOp.Bind(d, layerNorm, $"h.{layer}.ln_2", ws.LayerNormParams, ws.X, w.Ln2Weight, w.Ln2Bias, ws.Normed),
            MatmulOp.Bind(d, matmul, $"h.{layer}.mlp.c_fc", ws.FcParams, ws.Normed, w.FcWeight, w.FcBias, ws.Mlp),
            MatmulOp.Bind(d, matmul, $"h.{layer}.mlp.c_proj", ws.FcProjParams, ws.Mlp, w.FcProjWeight, w.FcProjBias, ws.X));
        ws.Bindings.Add(layer, bindings);
        return bindings;
    }

    private void ReleaseGpuMemory()
    {
        _workspace?.Dispose();
        _workspace = null;
        foreach (var layer in _layers) layer?.Dispose();
        Array.Clear(_layers);
        _finalNormWeight?.Dispose();
        _finalNormBias?.Dispose();
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
