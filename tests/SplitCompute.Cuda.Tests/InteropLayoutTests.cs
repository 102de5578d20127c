using System.Runtime.CompilerServices;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Tests;

/// <summary>Blittable structs passed to cuBLASLt must have the C sizes (cublasLt.h), or the heuristic writes past them.</summary>
public sealed class InteropLayoutTests
{
    [Fact]
    public void Matmul_algo_is_64_bytes_and_a_heuristic_result_96()
    {
        Assert.Equal(64, Unsafe.SizeOf<MatmulAlgo>());
        Assert.Equal(96, Unsafe.SizeOf<MatmulHeuristicResult>());
    }

    [Fact]
    public void Status_codes_are_named_in_errors()
    {
        var error = Assert.Throws<CudaException>(() => CublasLt.Check(15, "cublasLtMatmul qkv"));
        Assert.Equal("cublasLtMatmul qkv failed: CUBLAS_STATUS_NOT_SUPPORTED", error.Message);
    }
}
