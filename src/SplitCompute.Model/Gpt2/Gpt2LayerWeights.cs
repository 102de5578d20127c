using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Gpt2;

/// <summary>One transformer block's parameters, float32, shapes checked at load (C = n_embd).</summary>
public sealed record Gpt2LayerWeights(
    WeightTensor Ln1Weight,      // (C)
    WeightTensor Ln1Bias,        // (C)
    WeightTensor AttnQkvWeight,  // (C, 3C)
    WeightTensor AttnQkvBias,    // (3C)
    WeightTensor AttnProjWeight, // (C, C)
    WeightTensor AttnProjBias,   // (C)
    WeightTensor Ln2Weight,      // (C)
    WeightTensor Ln2Bias,        // (C)
    WeightTensor FcWeight,       // (C, 4C)
    WeightTensor FcBias,         // (4C)
    WeightTensor FcProjWeight,   // (4C, C)
    WeightTensor FcProjBias)     // (C)
{
    public static Gpt2LayerWeights Load(Checkpoint checkpoint, int layer, int c)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        WeightTensor Read(string suffix) =>
            checkpoint.ReadFloat32(Gpt2TensorNames.Layer(layer, suffix), Gpt2TensorNames.LayerShape(suffix, c));
        return new Gpt2LayerWeights(
            Read("ln_1.weight"), Read("ln_1.bias"),
            Read("attn.c_attn.weight"), Read("attn.c_attn.bias"),
            Read("attn.c_proj.weight"), Read("attn.c_proj.bias"),
            Read("ln_2.weight"), Read("ln_2.bias"),
            Read("mlp.c_fc.weight"), Read("mlp.c_fc.bias"),
            Read("mlp.c_proj.weight"), Read("mlp.c_proj.bias"));
    }
}
