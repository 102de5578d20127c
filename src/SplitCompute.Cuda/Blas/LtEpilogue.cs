namespace SplitCompute.Cuda.Blas;

/// <summary>What cuBLASLt applies to the product before it writes D.</summary>
internal enum LtEpilogue
{
    /// <summary>D = A B + beta C.</summary>
    None,

    /// <summary>D = A B + bias + beta C.</summary>
    Bias,

    /// <summary>D = GELU(A B + bias) (tanh approximation).</summary>
    GeluBias,
}
