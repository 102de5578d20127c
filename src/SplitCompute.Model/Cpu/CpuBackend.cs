using System.Numerics.Tensors;
using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// GPT-2 on the CPU: the four matrix products per block through OpenBLAS sgemm, everything else with
/// System.Numerics.Tensors on <see cref="CpuWorkerPool"/> threads. Legend: B batch, T tokens, C channels, H heads, R = B*T rows.
/// Bias and residual are fused into the GEMMs by seeding C and using beta = 1, so a block makes 4 GEMMs and 6 light passes.
/// </summary>
public sealed unsafe class CpuBackend : ILayerRangeBackend
{
    private readonly Gpt2Weights _weights;
    private readonly CpuWorkerPool _pool;
    private readonly Stack<CpuWorkspace> _workspaces = new(capacity: 16);  // guarded by itself; a Stack push/pop allocates nothing

    /// <param name="weights">The loaded model; the backend does not own it.</param>
    /// <param name="threads">Threads for non-GEMM work; all cores by default.</param>
    public CpuBackend(Gpt2Weights weights, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        OpenBlas.EnsureLoaded();
        _weights = weights;
        _pool = new CpuWorkerPool(threads ?? Environment.ProcessorCount);
    }

    public string Name => "cpu";

    /// <summary>The OpenBLAS kernels the matrix products run on (chosen and checked when the first backend was made).</summary>
    public OpenBlasSelection Blas => OpenBlas.Selection;

    public Gpt2Config Config => _weights.Config;

    public LayerStackShape Shape => Config.Shape;

    /// <summary>Token + position embeddings: hidden[b, t] = wte[ids[b, t]] + wpe[t].  (B, T) -> (B, T, C)</summary>
    public HiddenState Embed(TokenBatch batch) => TokenEmbeddings.Gather(_weights, batch);

    public void RunLayers(HiddenState hidden, int from, int to)
    {
        LayerRange.Validate(Config, hidden, from, to);
        for (var layer = from; layer < to; layer++) _ = _weights.Layer(layer);  // refuse before touching data
        var batch = hidden.Batch;
        var rows = batch.BatchSize * batch.SequenceLength;
        var workspace = RentWorkspace(rows);
        try
        {
            fixed (float* x = hidden.Data)
            fixed (byte* mask = batch.Mask)
            {
                for (var layer = from; layer < to; layer++)
                {
                    Block(_weights.Layer(layer), workspace, x, mask, batch.BatchSize, batch.SequenceLength);
                    hidden.LayersDone = layer + 1;
                }
            }
        }
        finally
        {
            ReturnWorkspace(workspace);
        }
    }

    public void ApplyFinalNorm(HiddenState hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.LayersDone != Config.NLayer)
            throw new ArgumentException($"the final norm needs all {Config.NLayer} layers; the hidden state has {hidden.LayersDone}", nameof(hidden));
        var weight = _weights.FinalNormWeight ?? throw new InvalidOperationException("this CPU backend was loaded without the final norm");
        var rows = hidden.Batch.BatchSize * hidden.Batch.SequenceLength;
        var workspace = RentWorkspace(0);
        try
        {
            fixed (float* x = hidden.Data)
            {
                workspace.LayerNorm.Set(x, x, weight.Pointer, _weights.FinalNormBias!.Pointer, Config.NEmbd, Config.LayerNormEpsilon);
                _pool.Run(workspace.LayerNorm, rows);
            }
        }
        finally
        {
            ReturnWorkspace(workspace);
        }
    }

    /// <summary>One transformer block in place on x (R, C).</summary>
    private void Block(Gpt2LayerWeights w, CpuWorkspace ws, float* x, byte* mask, int b, int t)
    {
        var c = Config.NEmbd;
        var rows = b * t;
        var eps = Config.LayerNormEpsilon;

        // Attention: x += proj(attn(ln_1(x)))
        ws.LayerNorm.Set(x, ws.Normed, w.Ln1Weight.Pointer, w.Ln1Bias.Pointer, c, eps);
        _pool.Run(ws.LayerNorm, rows);                                                        // (R, C)
        ws.Bias.Set(null, ws.Qkv, w.AttnQkvBias.Pointer, 3 * c);
        _pool.Run(ws.Bias, rows);
        OpenBlas.Sgemm(rows, 3 * c, c, 1f, ws.Normed, c, w.AttnQkvWeight.Pointer, 3 * c, 1f, ws.Qkv, 3 * c);  // (R, C) x (C, 3C) -> (R, 3C)
        ws.AttentionHeads.Set(ws.Qkv, ws.Attention, mask, t, c, Config.NHead);
        _pool.Run(ws.AttentionHeads, b * Config.NHead);                                       // (R, C)
        ws.Bias.Set(x, x, w.AttnProjBias.Pointer, c);
        _pool.Run(ws.Bias, rows);
        OpenBlas.Sgemm(rows, c, c, 1f, ws.Attention, c, w.AttnProjWeight.Pointer, c, 1f, x, c);                // (R, C) x (C, C) += x

        // MLP: x += proj(gelu(fc(ln_2(x))))
        ws.LayerNorm.Set(x, ws.Normed, w.Ln2Weight.Pointer, w.Ln2Bias.Pointer, c, eps);
        _pool.Run(ws.LayerNorm, rows);
        ws.Bias.Set(null, ws.Mlp, w.FcBias.Pointer, 4 * c);
        _pool.Run(ws.Bias, rows);
        OpenBlas.Sgemm(rows, 4 * c, c, 1f, ws.Normed, c, w.FcWeight.Pointer, 4 * c, 1f, ws.Mlp, 4 * c);       // (R, C) x (C, 4C) -> (R, 4C)
        ws.Gelu.Set(ws.Mlp, 4 * c);
        _pool.Run(ws.Gelu, rows);
        ws.Bias.Set(x, x, w.FcProjBias.Pointer, c);
        _pool.Run(ws.Bias, rows);
        OpenBlas.Sgemm(rows, c, 4 * c, 1f, ws.Mlp, 4 * c, w.FcProjWeight.Pointer, c, 1f, x, c);               // (R, 4C) x (4C, C) += x
    }

    private CpuWorkspace RentWorkspace(int rows)
    {
        CpuWorkspace? workspace;
        lock (_workspaces)
        {
            _workspaces.TryPop(out workspace);
        }
        workspace ??= new CpuWorkspace(Config.NEmbd);
        workspace.EnsureRows(rows);
        return workspace;
    }

    private void ReturnWorkspace(CpuWorkspace workspace)
    {
        lock (_workspaces)
        {
            _workspaces.Push(workspace);
        }
    }

    public void Dispose()
    {
        _pool.Dispose();
        lock (_workspaces)
        {
            while (_workspaces.TryPop(out var workspace)) workspace.Dispose();
        }
    }
}
