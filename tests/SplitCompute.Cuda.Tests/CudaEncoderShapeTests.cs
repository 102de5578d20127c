using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Encoders;
using SplitCompute.Cuda.Interop;
using SplitCompute.Model.Encoders;
using SplitCompute.Testing;

namespace SplitCompute.Cuda.Tests;

/// <summary>
/// Which encoder shapes the CUDA encoder takes, checked before any GPU is touched (so these run in CI): the served presets all
/// run there; a shape the kernels do not take is refused as "CUDA unavailable" with the reason, which the worker's auto device
/// turns into a CPU fallback it logs.
/// </summary>
public sealed class CudaEncoderShapeTests
{
    [Theory]
    [InlineData("bert-tiny")]
    [InlineData("minilm-l6")]
    [InlineData("bge-small")]
    [InlineData("bge-base")]
    [InlineData("bge-large")]
    [InlineData("odd-inner")]
    [InlineData("roberta-tiny")]
    public void Served_presets_and_the_test_shapes_are_taken_in_both_precisions(string preset)
    {
        var config = EncoderTestShapes.Preset(preset).Config;
        Assert.Null(CudaEncoderBackend.Unsupported(config, CudaPrecision.Float32));
        Assert.Null(CudaEncoderBackend.Unsupported(config, CudaPrecision.Float16));
    }

    [Fact]
    public void A_head_size_the_attention_kernels_do_not_take_is_refused_as_unavailable_with_the_reason()
    {
        var tiny = EncoderPreset.ByName("bert-tiny");
        using var folder = new TempDirectory();
        RandomEncoderWriter.Write(folder.Path, tiny with { Config = tiny.Config with { HiddenSize = 200, NumHeads = 5, IntermediateSize = 600 } }, seed: 5);
        using var cpu = BertCpuEncoder.Load(folder.Path, BertConfig.Load(folder.Path));
        var reason = CudaEncoderBackend.Unsupported(cpu, CudaPrecision.Float32);
        Assert.NotNull(reason);
        Assert.Contains("head size 40", reason, StringComparison.Ordinal);
        // Refused before any GPU is opened, so the same error here and on the GPU machine.
        var refused = Assert.Throws<CudaUnavailableException>(() => CudaEncoderBackend.Create(cpu));
        Assert.Contains("head size 40", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fp16_needs_widths_that_are_multiples_of_8_and_layer_norm_at_most_2048_channels()
    {
        var tiny = EncoderPreset.ByName("bert-tiny").Config;
        var odd = tiny with { HiddenSize = 132, NumHeads = 33, IntermediateSize = 512 };
        Assert.Null(CudaEncoderBackend.Unsupported(odd, CudaPrecision.Float32));
        Assert.Contains("multiples of 8", CudaEncoderBackend.Unsupported(odd, CudaPrecision.Float16), StringComparison.Ordinal);
        Assert.Contains("2048", CudaEncoderBackend.Unsupported(tiny with { HiddenSize = 4096, NumHeads = 64 }, CudaPrecision.Float32), StringComparison.Ordinal);
        Assert.Contains("not a multiple", CudaEncoderBackend.Unsupported(tiny with { HiddenSize = 130, NumHeads = 4 }, CudaPrecision.Float32), StringComparison.Ordinal);
    }
}
