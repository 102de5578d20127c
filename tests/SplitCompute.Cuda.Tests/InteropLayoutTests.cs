using System.Runtime.CompilerServices;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Tests;

/// <summary>Blittable structs passed to cuBLASLt and the driver must have the C layouts (cublasLt.h, cuda.h), or the callee reads or writes past them.</summary>
public sealed class InteropLayoutTests
{
    [Fact]
    public void Matmul_algo_is_64_bytes_and_a_heuristic_result_96()
    {
        Assert.Equal(64, Unsafe.SizeOf<MatmulAlgo>());
        Assert.Equal(96, Unsafe.SizeOf<MatmulHeuristicResult>());
    }

    /// <summary>CUlaunchConfig: 7 uints, the stream at 32 (8-aligned), the attribute pointer, the count; CUlaunchAttribute: id, pad, 64-byte union.</summary>
    [Fact]
    public unsafe void Launch_config_and_attribute_have_the_cuda_h_layout()
    {
        Assert.Equal(56, Unsafe.SizeOf<LaunchConfig>());
        Assert.Equal(72, Unsafe.SizeOf<LaunchAttribute>());
        var config = default(LaunchConfig);
        var start = (byte*)&config;
        Assert.Equal(24, (byte*)&config.SharedMemBytes - start);
        Assert.Equal(32, (byte*)&config.Stream - start);
        Assert.Equal(40, (byte*)&config.Attributes - start);
        Assert.Equal(48, (byte*)&config.AttributeCount - start);
        var attribute = default(LaunchAttribute);
        Assert.Equal(8, (byte*)&attribute.Value - (byte*)&attribute);
    }

    [Fact]
    public void Status_codes_are_named_in_errors()
    {
        var error = Assert.Throws<CudaException>(() => CublasLt.Check(15, "cublasLtMatmul qkv"));
        Assert.Equal("cublasLtMatmul qkv failed: CUBLAS_STATUS_NOT_SUPPORTED", error.Message);
    }
}
