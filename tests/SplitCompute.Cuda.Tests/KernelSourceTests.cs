using System.Text.RegularExpressions;
using SplitCompute.Cuda.Kernels;

namespace SplitCompute.Cuda.Tests;

/// <summary>NVRTC gets gpt2.cu with its #include lines replaced by the embedded headers: one source, no include folder.</summary>
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

    [Fact]
    public void A_missing_kernel_source_names_itself()
    {
        var error = Assert.Throws<InvalidOperationException>(() => KernelSource.Read("no-such-file.cuh"));
        Assert.Contains("no-such-file.cuh", error.Message, StringComparison.Ordinal);
    }
}
