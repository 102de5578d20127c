namespace SplitCompute.WebGpu.Kernels;

/// <summary>What a product kernel does with X W + bias before storing it (the kernels' params.epilogue flags; same values).</summary>
[Flags]
internal enum ProductEpilogue : uint
{
    /// <summary>Y = X W + bias.</summary>
    Store = 0,

    /// <summary>Y += ...: the residual stream's add, fused.</summary>
    Accumulate = 1,

    /// <summary>GELU in GPT-2's tanh form ("gelu_new"), fused: the MLP's first product needs no GELU pass.</summary>
    GeluTanh = 2,

    /// <summary>GELU in BERT's exact erf form, fused.</summary>
    GeluErf = 4,
}
