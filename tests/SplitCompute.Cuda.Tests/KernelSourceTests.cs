using System.Text.RegularExpressions;
using SplitCompute.Cuda.Kernels;

namespace SplitCompute.Cuda.Tests;

/// <summary>NVRTC gets gpt2.cu (and hopper_products.cu) with its #include lines replaced by the embedded headers: one source, no include folder.</summary>
public sealed class KernelSourceTests
{
    [Fact]
    public void Gpt2_source_arrives_with_every_header_inlined_once()
    {
        var source = KernelSource.Read("gpt2.cu");
        Assert.DoesNotMatch(new Regex("""^\s*#\s*include""", RegexOptions.Multiline), source);
        foreach (var kernel in new[] { "layernorm_x", "attention", "attention_mma", "embed" })
            Assert.Single(Regex.Matches(source, $@"extern ""C"" __global__ void (__launch_bounds__\(\d+\) )?{kernel}\("));
        // common.cuh defines warpSum once, though it is what every other header builds on.
        Assert.Single(Regex.Matches(source, @"float warpSum\("));
    }

    /// <summary>
    /// The host launches the Hopper products with SK_SHARED bytes of dynamic shared memory and passes that number to the kernel,
    /// which asserts it covers its SK_STAGES stages (checked where clang compiles it, KernelSourceCompileTests); here, that it
    /// is a size an sm_90 CTA may have at all.
    /// </summary>
    [Fact]
    public void Hopper_product_shared_memory_fits_an_sm90_cta()
    {
        Assert.Contains($"-DSK_SHARED={HopperProductConstants.SharedBytes}", HopperProductConstants.Defines);
        Assert.True(HopperProductConstants.SharedBytes <= 227 * 1024, "above the 227 KB an sm_90 CTA may opt in to");
    }

    [Fact]
    public void A_missing_kernel_source_names_itself()
    {
        var error = Assert.Throws<InvalidOperationException>(() => KernelSource.Read("no-such-file.cuh"));
        Assert.Contains("no-such-file.cuh", error.Message, StringComparison.Ordinal);
    }
}
