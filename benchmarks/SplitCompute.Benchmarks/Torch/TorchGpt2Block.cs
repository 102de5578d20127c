using SplitCompute.Model.Config;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace SplitCompute.Benchmarks.Torch;

/// <summary>
/// One GPT-2 block in libtorch (TorchSharp), fp32 on the CPU, written as Hugging Face's GPT2Block computes it, on the same
/// weights as our CPU backend: the reference our block is timed against. Legend: B batch, T tokens, C channels, H heads, D = C/H.
/// </summary>
internal sealed class TorchGpt2Block : IDisposable
{
    private readonly Gpt2Config _config;
    private readonly Tensor _ln1Weight, _ln1Bias, _qkvWeight, _qkvBias, _projWeight, _projBias;
    private readonly Tensor _ln2Weight, _ln2Bias, _fcWeight, _fcBias, _fcProjWeight, _fcProjBias;

    public TorchGpt2Block(Gpt2LayerWeights w, Gpt2Config config)
    {
        _config = config;
        var c = config.NEmbd;
        (_ln1Weight, _ln1Bias) = (Copy(w.Ln1Weight, c), Copy(w.Ln1Bias, c));
        (_qkvWeight, _qkvBias) = (Copy(w.AttnQkvWeight, c, 3 * c), Copy(w.AttnQkvBias, 3 * c));
        (_projWeight, _projBias) = (Copy(w.AttnProjWeight, c, c), Copy(w.AttnProjBias, c));
        (_ln2Weight, _ln2Bias) = (Copy(w.Ln2Weight, c), Copy(w.Ln2Bias, c));
        (_fcWeight, _fcBias) = (Copy(w.FcWeight, c, 4 * c), Copy(w.FcBias, 4 * c));
        (_fcProjWeight, _fcProjBias) = (Copy(w.FcProjWeight, 4 * c, c), Copy(w.FcProjBias, c));
    }

    /// <summary>x (B, T, C) -> (B, T, C), causal attention over all T tokens (no padding).</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var (b, t, c, h) = (x.shape[0], x.shape[1], (long)_config.NEmbd, (long)_config.NHead);
        var rows = x.view(b * t, c);                                                                  // (R, C)
        var normed = layer_norm(rows, [c], _ln1Weight, _ln1Bias, _config.LayerNormEpsilon);
        var qkv = addmm(_qkvBias, normed, _qkvWeight, 1f, 1f);                                        // (R, C) x (C, 3C) -> (R, 3C)
        var heads = qkv.view(b, t, 3, h, c / h).permute(2, 0, 3, 1, 4);                               // (3, B, H, T, D)
        var attention = scaled_dot_product_attention(heads[0], heads[1], heads[2], is_casual: true);  // (B, H, T, D)
        var merged = attention.transpose(1, 2).reshape(b * t, c);                                     // (R, C)
        var x1 = addmm(_projBias, merged, _projWeight, 1f, 1f).add_(rows);                            // (R, C) x (C, C) + x
        var fc = addmm(_fcBias, layer_norm(x1, [c], _ln2Weight, _ln2Bias, _config.LayerNormEpsilon), _fcWeight, 1f, 1f);  // (R, 4C)
        var mlp = gelu(fc, TorchSharp.Modules.GELU.Approximate.tanh);                                // GPT-2's "gelu_new"
        var output = addmm(_fcProjBias, mlp, _fcProjWeight, 1f, 1f).add_(x1);                         // (R, 4C) x (4C, C) + x1
        return output.view(b, t, c).MoveToOuterDisposeScope();
    }

    private static unsafe Tensor Copy(WeightTensor weight, params long[] shape) =>
        from_array(new ReadOnlySpan<float>(weight.Pointer, weight.Length).ToArray()).reshape(shape);

    public void Dispose()
    {
        foreach (var tensor in new[] { _ln1Weight, _ln1Bias, _qkvWeight, _qkvBias, _projWeight, _projBias,
                     _ln2Weight, _ln2Bias, _fcWeight, _fcBias, _fcProjWeight, _fcProjBias })
            tensor.Dispose();
    }
}
