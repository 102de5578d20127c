using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;
using static SplitCompute.Cuda.Kernels.Gpt2KernelConstants;

namespace SplitCompute.Cuda.Kernels;

/// <summary>
/// gpt2.cu compiled for this device and precision, with one launcher per kernel (each launcher beside the grid it needs);
/// causal for GPT-2, or bidirectional for the BERT-family encoders (<see cref="Encoders.CudaEncoderBackend"/>).
/// Legend: B batch, T tokens (bucket), C channels, H heads, D = C / H, R = B * T. Pointers are device pointers (CUdeviceptr).
/// </summary>
internal sealed unsafe class Gpt2Kernels : IDisposable
{
    private const string SourceName = "gpt2.cu";
    private const int DefaultSharedLimit = 48 * 1024;

    private readonly CudaContext _context;
    private readonly CudaModule _module;
    private readonly nint _embed, _layerNormX, _layerNormF, _attention, _attentionMma, _gelu, _fillX, _fillF, _embedEncoder, _geluErf, _toX;
    private int _attentionSharedOptIn = DefaultSharedLimit;

    private readonly int _attentionWarps;
    private readonly bool _attentionKeySplit;
    private readonly bool _dependentLaunch;

    /// <summary>The kernels the constructor loads from gpt2.cu (those in <see cref="Float16KernelNames"/> only in the fp16 build).</summary>
    internal static IReadOnlyList<string> KernelNames { get; } =
        ["embed", "layernorm_x", "layernorm_f", "attention", "attention_mma", "gelu", "fill_x", "fill_f", "embed_encoder", "gelu_erf", "to_x"];

    /// <summary>Kernels on fp16 tensor cores, compiled only with SC_F16=1.</summary>
    internal static IReadOnlyList<string> Float16KernelNames { get; } = ["attention_mma"];

    /// <param name="attentionWarps">Warps per tensor-core attention block, 1, 2 or 4 (16 queries each).</param>
    /// <param name="attentionKeySplit">For T up to two key tiles, a second set of warps takes the second tile of each query.</param>
    /// <param name="dependentLaunch">
    /// Allows (on sm_90 and later) the products' input kernels, LayerNorm into floatX and tensor-core attention, to be launched
    /// with programmatic dependent launch when a call asks: they become resident while the product before them finishes and
    /// wait in the kernel (griddepcontrol.wait) instead of behind the launch boundary.
    /// </param>
    /// <param name="causal">GPT-2's causal attention; false: every query attends every unpadded key (encoders).</param>
    public Gpt2Kernels(CudaContext context, CudaPrecision precision, bool tensorCoreAttention, int attentionWarps, bool attentionKeySplit,
                       string? cacheDirectory, bool dependentLaunch = true, bool causal = true)
    {
        _context = context;
        if (attentionWarps is not (1 or 2 or 4)) throw new ArgumentOutOfRangeException(nameof(attentionWarps), $"attention warps must be 1, 2 or 4, not {attentionWarps}");
        _attentionWarps = attentionWarps;
        _attentionKeySplit = attentionKeySplit;
        _dependentLaunch = dependentLaunch && context.ComputeCapability.Major >= 9;
        List<string> options = [$"--gpu-architecture={context.Architecture}", "--std=c++17", .. Defines(precision, causal)];
        var cubin = KernelCompiler.Compile(KernelSource.Read(SourceName), SourceName, options, cacheDirectory);
        _module = new CudaModule(context, cubin, $"{SourceName} ({precision}, {(causal ? "causal" : "bidirectional")}, {context.Architecture})");
        _embed = _module.Function("embed");
        _layerNormX = _module.Function("layernorm_x");
        _layerNormF = _module.Function("layernorm_f");
        _attention = _module.Function("attention");
        // The tensor-core kernel exists only in the fp16 build (its operands are fp16); fp32 keeps the exact CUDA-core kernel.
        _attentionMma = precision == CudaPrecision.Float16 && tensorCoreAttention ? _module.Function("attention_mma") : 0;
        _gelu = _module.Function("gelu");
        _fillX = _module.Function("fill_x");
        _fillF = _module.Function("fill_f");
        _embedEncoder = _module.Function("embed_encoder");
        _geluErf = _module.Function("gelu_erf");
        _toX = _module.Function("to_x");
        Precision = precision;
        Causal = causal;
    }

    public CudaPrecision Precision { get; }

    /// <summary>Whether attention is causal (GPT-2) or bidirectional (encoders).</summary>
    public bool Causal { get; }

    /// <summary>gpt2.cu's -D options for <paramref name="precision"/>: the activation type, the attention's direction and <see cref="Gpt2KernelConstants"/>.</summary>
    internal static IReadOnlyList<string> Defines(CudaPrecision precision, bool causal = true) =>
        [$"-DSC_F16={(precision == CudaPrecision.Float16 ? 1 : 0)}", $"-DSC_CAUSAL={(causal ? 1 : 0)}", .. Gpt2KernelConstants.Defines];

    /// <summary>LayerNormX and Attention may be asked for programmatic dependent launch (sm_90 and later, and allowed).</summary>
    public bool DependentLaunchAvailable => _dependentLaunch;

    /// <summary>x (R, C) fp32 = wte[ids] + wpe[t].</summary>
    public void Embed(ulong x, ulong ids, ulong wte, ulong wpe, int rows, int t, int c)
    {
        void** args = stackalloc void*[6];
        args[0] = &x; args[1] = &ids; args[2] = &wte; args[3] = &wpe; args[4] = &t; args[5] = &c;
        Launch(_embed, "embed", (uint)rows, 1, 1, 256, 0, args);
    }

    /// <summary>normed (R, C) floatX = LayerNorm(x (R, C) fp32); <paramref name="dependent"/>: with programmatic dependent launch where available.</summary>
    public void LayerNormX(ulong output, ulong input, ulong gamma, ulong beta, int rows, int c, float eps, bool dependent = false) =>
        LayerNorm(_layerNormX, "layernorm_x", output, input, gamma, beta, rows, c, eps, dependent);

    /// <summary>x (R, C) fp32 = LayerNorm(x) in place (the final norm).</summary>
    public void LayerNormF(ulong output, ulong input, ulong gamma, ulong beta, int rows, int c, float eps) =>
        LayerNorm(_layerNormF, "layernorm_f", output, input, gamma, beta, rows, c, eps, dependent: false);

    private void LayerNorm(nint function, string name, ulong output, ulong input, ulong gamma, ulong beta, int rows, int c, float eps, bool dependent)
    {
        if (c > LayerNormMaxChannels) throw new NotSupportedException($"{name}: C = {c} exceeds the {LayerNormMaxChannels} channels one block holds in registers");
        void** args = stackalloc void*[6];
        args[0] = &output; args[1] = &input; args[2] = &gamma; args[3] = &beta; args[4] = &c; args[5] = &eps;
        Launch(function, name, (uint)rows, 1, 1, LayerNormThreads, 0, args, dependent: dependent);  // one block per row
    }

    /// <summary>
    /// att (B, T, C) floatX = softmax(q k^T / sqrt(D), padding mask, causal unless built for encoders) v, from qkv (B, T, 3C) floatX; <paramref name="dependent"/>:
    /// the tensor-core kernel with programmatic dependent launch where available.
    /// </summary>
    public void Attention(ulong output, ulong qkv, ulong mask, int b, int t, int c, int h, bool dependent = false)
    {
        var d = c / h;
        // T above MMA_MAX_T (the key mask it holds in shared memory) takes the CUDA-core kernel; GPT-2's n_positions is 1024.
        if (_attentionMma != 0 && d == TensorCoreHeadDim && t <= TensorCoreMaxTokens)
        {
            void** mmaArgs = stackalloc void*[6];
            mmaArgs[0] = &output; mmaArgs[1] = &qkv; mmaArgs[2] = &mask; mmaArgs[3] = &t; mmaArgs[4] = &c; mmaArgs[5] = &h;
            var warps = _attentionWarps;
            var queries = 16 * warps;  // one m16 tile of queries per warp
            // Two key sets only where every tile of the sequence arrives in one round (MMA_STAGES tiles in flight).
            var keySets = _attentionKeySplit && t <= TensorCoreStages * TensorCoreKeyTile ? 2u : 1u;
            Launch(_attentionMma, "attention_mma", (uint)((t + queries - 1) / queries), (uint)h, (uint)b, (uint)(32 * warps), 0, mmaArgs, keySets, dependent: dependent);
            return;
        }
        if (!SupportsHeadDim(d))
            throw new NotSupportedException($"attention kernel: head size D = {d} must be a multiple of 4 dividing {AttentionQueries * 32}, at most {AttentionMaxHeadDim}");
        var shared = (uint)((AttentionQueries * d) + (AttentionKeys * (d + 4)) + (AttentionKeys * d)) * sizeof(float);
        if (shared > _attentionSharedOptIn)
        {
            CuDriver.Check(CuDriver.FuncSetAttribute(_attention, CuDriver.FunctionAttributeMaxDynamicSharedSizeBytes, (int)shared),
                $"cuFuncSetAttribute(attention, {shared} bytes of shared memory)");
            _attentionSharedOptIn = (int)shared;
        }
        void** args = stackalloc void*[6];
        args[0] = &output; args[1] = &qkv; args[2] = &mask; args[3] = &t; args[4] = &c; args[5] = &h;
        Launch(_attention, "attention", (uint)((t + AttentionQueries - 1) / AttentionQueries), (uint)h, (uint)b, AttentionQueries * 32, shared, args);
    }

    /// <summary>Whether the attention kernels take head size <paramref name="d"/>: a multiple of 4 dividing 32 ATT_Q, at most 32 ATT_MAX_R (4 .. 128, powers of two).</summary>
    public static bool SupportsHeadDim(int d) => d > 0 && d <= AttentionMaxHeadDim && d % 4 == 0 && (AttentionQueries * 32) % d == 0;

    /// <summary>x = GELU(x) in place on <paramref name="count"/> floatX values.</summary>
    public void Gelu(ulong x, long count)
    {
        void** args = stackalloc void*[2];
        args[0] = &x; args[1] = &count;
        Launch(_gelu, "gelu", (uint)((count + 255) / 256), 1, 1, 256, 0, args);
    }

    /// <summary>x (R, C) fp32 = words[ids] + positions[offset + t] + type0 (an encoder's embeddings before their LayerNorm).</summary>
    public void EmbedEncoder(ulong x, ulong ids, ulong words, ulong positions, ulong type0, int rows, int t, int c, int offset)
    {
        void** args = stackalloc void*[8];
        args[0] = &x; args[1] = &ids; args[2] = &words; args[3] = &positions; args[4] = &type0; args[5] = &t; args[6] = &c; args[7] = &offset;
        Launch(_embedEncoder, "embed_encoder", (uint)rows, 1, 1, 256, 0, args);
    }

    /// <summary>x = GELU(x), the exact erf form, in place on <paramref name="count"/> floatX values.</summary>
    public void GeluErf(ulong x, long count)
    {
        void** args = stackalloc void*[2];
        args[0] = &x; args[1] = &count;
        Launch(_geluErf, "gelu_erf", (uint)((count + 255) / 256), 1, 1, 256, 0, args);
    }

    /// <summary>output (n) floatX = input (n) fp32.</summary>
    public void ToX(ulong output, ulong input, long count)
    {
        void** args = stackalloc void*[3];
        args[0] = &output; args[1] = &input; args[2] = &count;
        Launch(_toX, "to_x", (uint)((count + 255) / 256), 1, 1, 256, 0, args);
    }

    /// <summary>Seeded uniform values in [offset - scale, offset + scale), floatX or fp32.</summary>
    public void Fill(ulong destination, long count, bool asFloatX, uint seed, float scale, float offset)
    {
        void** args = stackalloc void*[5];
        args[0] = &destination; args[1] = &count; args[2] = &seed; args[3] = &scale; args[4] = &offset;
        Launch(asFloatX ? _fillX : _fillF, asFloatX ? "fill_x" : "fill_f", (uint)((count + 255) / 256), 1, 1, 256, 0, args);
    }

    /// <param name="dependent">The kernel calls waitForPrevious() before reading its inputs, so it may be launched early.</param>
    private void Launch(nint function, string name, uint gridX, uint gridY, uint gridZ, uint block, uint shared, void** args, uint blockY = 1,
                        bool dependent = false)
    {
        if (gridX == 0 || gridY == 0 || gridZ == 0) return;  // nothing to do (empty range)
        var what = $"launch {name} grid ({gridX}, {gridY}, {gridZ}) block ({block}, {blockY})";
        if (!(dependent && _dependentLaunch))
        {
            CuDriver.Check(CuDriver.LaunchKernel(function, gridX, gridY, gridZ, block, blockY, 1, shared, _context.Stream, args, null), what);
            return;
        }
        DependentLaunch.Launch(function, (gridX, gridY, gridZ), (block, blockY, 1), shared, _context.Stream, args, what + " (programmatic dependent launch)");
    }

    public void Dispose() => _module.Dispose();
}
