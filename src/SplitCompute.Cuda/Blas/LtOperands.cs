namespace SplitCompute.Cuda.Blas;

/// <summary>The device pointers of one product Y = epilogue(X W + bias) + beta Y (one block's weights, the workspace's activations).</summary>
internal readonly record struct LtOperands(ulong X, ulong W, ulong Bias, ulong Y);
