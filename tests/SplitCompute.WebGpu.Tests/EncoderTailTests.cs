using SplitCompute.Model.Encoders;
using SplitCompute.Model.Forward;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Testing;
using SplitCompute.WebGpu.Backend;

namespace SplitCompute.WebGpu.Tests;

/// <summary>
/// A BERT-family encoder's tail [k, N) on WebGPU (issue 22: bidirectional attention over the real keys, erf GELU, post-LayerNorm
/// blocks) against the CPU encoder, which is itself checked against BertModel's equations and Hugging Face: padded batches, every k.
/// </summary>
public sealed class EncoderTailTests : IDisposable
{
    private static readonly int[][] Ids = [[101, 7592, 1010, 2088, 999, 102], [101, 4937, 102], [101, 2023, 2003, 1037, 2936, 6251, 2007, 2062, 19204, 2015, 102]];

    private readonly TempDirectory _model = new();

    public EncoderTailTests() => Write(_model.Path, width: 128, heads: 4, intermediate: 512);

    /// <summary>bert-tiny's vocabulary with 4 layers of the given shape, so split points and head layouts are exercised.</summary>
    private static void Write(string directory, int width, int heads, int intermediate)
    {
        var preset = EncoderPreset.ByName("bert-tiny");
        preset = preset with { Config = preset.Config with { NumLayers = 4, HiddenSize = width, NumHeads = heads, IntermediateSize = intermediate } };
        RandomEncoderWriter.Write(directory, preset, seed: 9);
    }

    [SkippableTheory]
    [InlineData(0, 128, 4, 512)]
    [InlineData(1, 128, 4, 512)]
    [InlineData(3, 128, 4, 512)]
    [InlineData(0, 200, 5, 600)]  // a head size of 40, a width that is not a multiple of 128, an MLP that is not 4C
    [InlineData(2, 200, 5, 600)]
    public void The_tail_from_k_matches_the_CPU_encoder_within_1e4(int k, int width, int heads, int intermediate)
    {
        var device = TestEnvironment.Device;
        if (width != 128) Write(_model.Path, width, heads, intermediate);
        using var whole = BertCpuEncoder.Load(_model.Path, BertConfig.Load(_model.Path));
        var n = whole.Config.NumLayers;
        var head = whole.Embed(Ids);
        whole.RunLayers(head, 0, k);
        var onGpu = new HiddenState(head.Batch, head.Channels, (float[])head.Data.Clone(), k);
        whole.RunLayers(head, k, n);

        using var tail = BertCpuEncoder.BindTail(Checkpoint.Open(_model.Path), whole.Config, k);
        using var backend = new WebGpuEncoderBackend(tail, device);
        backend.RunLayers(onGpu, k, n);
        backend.ApplyFinalNorm(onGpu);
        Assert.Equal(n, onGpu.LayersDone);
        var max = 0.0;
        for (var s = 0; s < Ids.Length; s++)
        {
            for (var p = 0; p < Ids[s].Length; p++)  // padded rows are never pooled: only the real ones must match
                max = Math.Max(max, head.Row(s, p).ToArray().Zip(onGpu.Row(s, p).ToArray()).Max(x => Math.Abs(x.First - x.Second)));
        }
        Assert.True(max <= Tolerance.F32, $"k = {k}: max |WebGPU - CPU| over real positions {max:E3}");
        foreach (var pooling in new[] { Pooling.Mean, Pooling.Cls, Pooling.Max })
        {
            var a = Pooler.Pool(head, pooling).SelectMany(e => e);
            var b = Pooler.Pool(onGpu, pooling).SelectMany(e => e);
            Assert.True(a.Zip(b).Max(x => Math.Abs(x.First - x.Second)) <= Tolerance.F32, $"{pooling} pooling from k = {k}");
        }
    }

    [SkippableFact]
    public void F16_weights_stay_within_the_stated_tolerance_and_are_not_f32()
    {
        var device = TestEnvironment.Device;
        Skip.IfNot(device.HasShaderF16, $"adapter {device.Description} has no shader-f16");
        using var whole = BertCpuEncoder.Load(_model.Path, BertConfig.Load(_model.Path));
        var n = whole.Config.NumLayers;
        var hidden = whole.Embed(Ids);
        var onGpu = new HiddenState(hidden.Batch, hidden.Channels, (float[])hidden.Data.Clone(), 0);
        whole.RunLayers(hidden, 0, n);
        using var tail = BertCpuEncoder.BindTail(Checkpoint.Open(_model.Path), whole.Config, 0);
        using var backend = new WebGpuEncoderBackend(tail, device, new WebGpuBackendOptions { Precision = Kernels.WeightPrecision.F16 });
        backend.RunLayers(onGpu, 0, n);
        var a = Pooler.Pool(hidden, Pooling.Mean).SelectMany(e => e);
        var b = Pooler.Pool(onGpu, Pooling.Mean).SelectMany(e => e);
        var max = a.Zip(b).Max(x => Math.Abs(x.First - x.Second));
        // As for GPT-2 (docs/webgpu.md "Tolerances"): f16 rounds each weight by up to 2^-11 relative; post-LayerNorm blocks
        // renormalise every layer, so 1e-2 bounds 4 blocks of values of magnitude ~1.
        Assert.True(max <= 1e-2, $"f16 encoder weights: max |WebGPU - CPU| of the mean-pooled output {max:E3}");
        Assert.True(max > 1e-6, $"f16 weights gave {max:E2} difference: suspiciously exact, were f32 weights used?");
    }

    [SkippableFact]
    public void A_tail_cannot_run_blocks_it_does_not_hold()
    {
        var device = TestEnvironment.Device;
        var config = BertConfig.Load(_model.Path);
        using var tail = BertCpuEncoder.BindTail(Checkpoint.Open(_model.Path), config, 2);
        using var backend = new WebGpuEncoderBackend(tail, device);
        var hidden = new HiddenState(TokenBatch.FromSequences([[1, 2, 3]]), config.HiddenSize, new float[3 * config.HiddenSize], 1);
        Assert.Contains("holds [2, 4)", Assert.Throws<ArgumentOutOfRangeException>(() => backend.RunLayers(hidden, 1, 4)).Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => backend.Embed(hidden.Batch));
    }

    public void Dispose() => _model.Dispose();
}
