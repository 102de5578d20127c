using SplitCompute.Model.Config;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.SafeTensors;
using SplitCompute.WebGpu.Backend;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Tests;

/// <summary>The WebGPU backend running a model's tail [k, N) + final norm + pooling, against Hugging Face's own outputs.</summary>
public sealed class TailTests
{
    public static TheoryData<string, int> Splits => new()
    {
        { "gpt2-tiny", 0 }, { "gpt2-tiny", 1 }, { "gpt2-tiny", 3 },
        { "gpt2-mini", 0 }, { "gpt2-mini", 2 }, { "gpt2-mini", 5 },
    };

    [SkippableTheory]
    [MemberData(nameof(Splits))]
    public void The_tail_from_k_matches_the_reference_within_1e4(string fixture, int k)
    {
        var device = TestEnvironment.Device;
        using var reference = HuggingFaceReference.Fixture(fixture);
        var config = Gpt2Config.Load(reference.ModelDirectory);
        using var weights = Gpt2Weights.Bind(Checkpoint.Open(reference.ModelDirectory), config, k.., embeddings: false, finalNorm: true);
        using var backend = new WebGpuBackend(weights, device);

        var hidden = reference.HiddenBefore(k, config.NEmbd);
        backend.RunLayers(hidden, k, config.NLayer);
        Assert.Equal(config.NLayer, hidden.LayersDone);
        AssertClose(reference.MaxDifferenceOnValidPositions(hidden.Data, $"block_out.{config.NLayer - 1}"), Tolerance.F32, $"{fixture} block_out after [{k}, N)");
        backend.ApplyFinalNorm(hidden);
        AssertClose(reference.MaxDifferenceOnValidPositions(hidden.Data, "last_hidden_state"), Tolerance.F32, $"{fixture} last_hidden_state");
        var pooled = Pooler.Pool(hidden, Pooling.Mean);
        var max = pooled.SelectMany(e => e).Zip(reference.Tensor("mean_pooled")).Max(p => Math.Abs(p.First - p.Second));
        AssertClose(max, Tolerance.F32, $"{fixture} mean_pooled from k = {k}");
    }

    [SkippableTheory]
    [InlineData("gpt2-tiny")]
    [InlineData("gpt2-mini")]
    public void Every_block_matches_the_reference_one_layer_at_a_time(string fixture)
    {
        var device = TestEnvironment.Device;
        using var reference = HuggingFaceReference.Fixture(fixture);
        using var weights = Gpt2Weights.Load(reference.ModelDirectory);
        using var backend = new WebGpuBackend(weights, device);
        var hidden = reference.HiddenBefore(0, weights.Config.NEmbd);
        for (var layer = 0; layer < weights.Config.NLayer; layer++)
        {
            backend.RunLayers(hidden, layer, layer + 1);  // the same bind groups and workspace reused for every call
            AssertClose(reference.MaxDifferenceOnValidPositions(hidden.Data, $"block_out.{layer}"), Tolerance.F32, $"{fixture} block_out.{layer}");
        }
    }

    [SkippableFact]
    public void Batches_of_other_shapes_reuse_the_backend_and_match_the_CPU_backend()
    {
        var device = TestEnvironment.Device;
        using var weights = Gpt2Weights.Load(RepositoryPaths.Fixture("gpt2-mini"));
        using var gpu = new WebGpuBackend(weights, device);
        using var cpu = new CpuBackend(weights, threads: 1);
        var random = new Random(3);
        // Growing and shrinking batches: the workspace is rebuilt for the larger one and reused for the smaller.
        foreach (var lengths in new[] { new[] { 3 }, new[] { 70, 20, 1 }, new[] { 5, 9 } })
        {
            var batch = TokenBatch.FromSequences([.. lengths.Select(n => Enumerable.Range(0, n).Select(_ => random.Next(4096)).ToArray())]);
            var expected = cpu.Embed(batch);
            var actual = new HiddenState(batch, expected.Channels, (float[])expected.Data.Clone(), 0);
            cpu.RunLayers(expected, 0, weights.Config.NLayer);
            cpu.ApplyFinalNorm(expected);
            gpu.RunLayers(actual, 0, weights.Config.NLayer);
            gpu.ApplyFinalNorm(actual);
            var pooledCpu = Pooler.Pool(expected, Pooling.Mean).SelectMany(e => e).ToArray();
            var pooledGpu = Pooler.Pool(actual, Pooling.Mean).SelectMany(e => e).ToArray();
            Tolerance.AssertClose(pooledCpu, pooledGpu, Tolerance.F32, $"batch lengths [{string.Join(", ", lengths)}]");
        }
    }

    [SkippableFact]
    public void F16_weights_stay_within_the_stated_tolerance_of_the_reference()
    {
        var device = TestEnvironment.Device;
        Skip.IfNot(device.HasShaderF16, $"adapter {device.Description} has no shader-f16");
        using var reference = HuggingFaceReference.Fixture("gpt2-mini");
        using var weights = Gpt2Weights.Load(reference.ModelDirectory);
        using var backend = new WebGpuBackend(weights, device, new WebGpuBackendOptions { Precision = WeightPrecision.F16 });
        var hidden = reference.HiddenBefore(0, weights.Config.NEmbd);
        backend.RunLayers(hidden, 0, weights.Config.NLayer);
        backend.ApplyFinalNorm(hidden);
        var pooled = Pooler.Pool(hidden, Pooling.Mean);
        var max = pooled.SelectMany(e => e).Zip(reference.Tensor("mean_pooled")).Max(p => Math.Abs(p.First - p.Second));
        // See docs/webgpu.md "Tolerances": f16 rounds each weight by up to 2^-11 relative; through 6 blocks and the final
        // norm that moves outputs of magnitude ~1 by ~1e-3. 1e-2 is the bound; an f32 run is 100x closer (1e-4).
        AssertClose(max, F16Tolerance, "gpt2-mini mean_pooled with f16 weights");
        Assert.True(max > 1e-6, $"f16 weights gave {max:E2} difference: suspiciously exact, were f32 weights used?");
    }

    [SkippableFact]
    public void Embed_is_refused_and_unloaded_layers_are_named()
    {
        var device = TestEnvironment.Device;
        using var reference = HuggingFaceReference.Fixture("gpt2-tiny");
        var config = Gpt2Config.Load(reference.ModelDirectory);
        using var weights = Gpt2Weights.Bind(Checkpoint.Open(reference.ModelDirectory), config, 2.., embeddings: false, finalNorm: true);
        using var backend = new WebGpuBackend(weights, device);
        Assert.Throws<NotSupportedException>(() => backend.Embed(reference.Batch));
        var hidden = reference.HiddenBefore(1, config.NEmbd);
        var error = Assert.Throws<InvalidOperationException>(() => backend.RunLayers(hidden, 1, config.NLayer));
        Assert.Contains("layer 1 is not loaded", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, hidden.LayersDone);
    }

    [SkippableFact]
    public void Weights_stay_resident_and_repeated_requests_give_identical_results()
    {
        var device = TestEnvironment.Device;
        using var reference = HuggingFaceReference.Fixture("gpt2-tiny");
        using var weights = Gpt2Weights.Load(reference.ModelDirectory);
        using var backend = new WebGpuBackend(weights, device);
        var c = weights.Config.NEmbd;
        // Every parameter of the 4 blocks (12 C^2 + 13 C floats each) and the final norm, in f32, is on the GPU.
        var expectedBytes = (weights.Config.NLayer * ((12L * c * c) + (13L * c)) + (2L * c)) * 4;
        Assert.Equal(expectedBytes, backend.ResidentWeightBytes);

        var first = reference.HiddenBefore(0, c);
        backend.RunLayers(first, 0, weights.Config.NLayer);
        var second = reference.HiddenBefore(0, c);
        backend.RunLayers(second, 0, weights.Config.NLayer);
        Assert.Equal(first.Data, second.Data);  // bit-identical: same resident weights, same dispatches
    }

    internal const double F16Tolerance = 1e-2;

    private static void AssertClose(double max, double tolerance, string what) =>
        Assert.True(max <= tolerance, $"{what}: max |difference| {max:E3} > {tolerance:E1}");
}
