using System.Globalization;
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
    /// The host launches the Hopper products with HopperProducts.SharedBytes of dynamic shared memory; the kernel lays out
    /// SK_STAGES stages of 2 x 128 x SK_KSTEP fp16 plus 1 KB of alignment. The two must agree, or stages land out of bounds.
    /// </summary>
    [Fact]
    public void Hopper_product_shared_memory_matches_the_kernel_layout()
    {
        var source = KernelSource.Read("hopper_products.cu");
        Assert.DoesNotMatch(new Regex("""^\s*#\s*include""", RegexOptions.Multiline), source);
        var stages = int.Parse(Regex.Match(source, @"#define SK_STAGES (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var kStep = int.Parse(Regex.Match(source, @"#define SK_KSTEP (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(HopperProducts.KStep, kStep);
        Assert.Equal(HopperProducts.SharedBytes, (stages * 2 * 128 * kStep * 2) + 1024);
        Assert.True(HopperProducts.SharedBytes <= 227 * 1024, "above the 227 KB an sm_90 CTA may opt in to");
    }

    [Fact]
    public void A_missing_kernel_source_names_itself()
    {
        var error = Assert.Throws<InvalidOperationException>(() => KernelSource.Read("no-such-file.cuh"));
        Assert.Contains("no-such-file.cuh", error.Message, StringComparison.Ordinal);
    }
}
