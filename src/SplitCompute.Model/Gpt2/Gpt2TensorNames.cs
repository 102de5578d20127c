namespace SplitCompute.Model.Gpt2;

/// <summary>Canonical GPT-2 tensor names (without the "transformer." prefix that GPT2LMHeadModel checkpoints add).</summary>
public static class Gpt2TensorNames
{
    public const string TokenEmbedding = "wte.weight";
    public const string PositionEmbedding = "wpe.weight";
    public const string FinalNormWeight = "ln_f.weight";
    public const string FinalNormBias = "ln_f.bias";

    public static string Layer(int layer, string suffix) => $"h.{layer}.{suffix}";

    /// <summary>The per-layer tensor suffixes, in the order a layer shard stores them.</summary>
    public static IReadOnlyList<string> LayerSuffixes { get; } =
    [
        "ln_1.weight", "ln_1.bias",
        "attn.c_attn.weight", "attn.c_attn.bias",
        "attn.c_proj.weight", "attn.c_proj.bias",
        "ln_2.weight", "ln_2.bias",
        "mlp.c_fc.weight", "mlp.c_fc.bias",
        "mlp.c_proj.weight", "mlp.c_proj.bias",
    ];

    /// <summary>Shape of a per-layer tensor for n_embd = C. HF Conv1D weights are [in, out]: y = x W + b.</summary>
    public static long[] LayerShape(string suffix, int c) => suffix switch
    {
        "ln_1.weight" or "ln_1.bias" or "ln_2.weight" or "ln_2.bias" => [c],
        "attn.c_attn.weight" => [c, 3 * c],
        "attn.c_attn.bias" => [3 * c],
        "attn.c_proj.weight" => [c, c],
        "attn.c_proj.bias" => [c],
        "mlp.c_fc.weight" => [c, 4 * c],
        "mlp.c_fc.bias" => [4 * c],
        "mlp.c_proj.weight" => [4 * c, c],
        "mlp.c_proj.bias" => [c],
        _ => throw new ArgumentException($"unknown GPT-2 layer tensor '{suffix}'", nameof(suffix)),
    };
}
