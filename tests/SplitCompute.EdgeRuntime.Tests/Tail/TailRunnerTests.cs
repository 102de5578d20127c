using SplitCompute.EdgeRuntime.Tail;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.Model.Config;
using SplitCompute.Model.Shards;
using SplitCompute.Protocol.Frames;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Tests.Tail;

/// <summary>The edge's tail runner on Dawn: a hidden-state frame after k layers plus the model's own shards -> pooled embeddings.</summary>
public sealed class TailRunnerTests
{
    /// <summary>As the WebGPU tail's own tests allow for f16 weights (SplitCompute.WebGpu.Tests' TailTests).</summary>
    private const double F16Tolerance = 1e-2;

    [SkippableTheory]
    [InlineData("f32", 1e-4)]
    [InlineData("f16", F16Tolerance)]  // f16 shards are widened to f32 on load, so only their rounding differs
    public void A_frame_and_its_shards_give_the_reference_embeddings_on_WebGPU(string dtype, double tolerance)
    {
        var noDawn = WebGpuAvailability.SkipReason;
        Skip.If(noDawn is not null, noDawn);
        using var reference = HuggingFaceReference.Fixture("gpt2-mini");
        var config = Gpt2Config.Load(reference.ModelDirectory);
        var shardDirectory = Directory.CreateTempSubdirectory("splitcompute-shards-").FullName;
        try
        {
            var index = ShardBuilder.Build(reference.ModelDirectory, shardDirectory);
            var store = new ShardStore(shardDirectory);
            const int k = 2;
            var manifest = ShardManifests.Build("gpt2-mini", config, index, dtype).Slice(k, config.NLayer);  // as the worker publishes it
            var paths = manifest.TailEntries.Select(s => store.TryResolve(s.Sha256)!).ToArray();
            var batch = reference.Batch;
            var lengths = Enumerable.Range(0, batch.BatchSize).Select(batch.ValidCount).ToArray();
            var frame = HiddenStateFrame.Hidden("gpt2-mini", index.Revision, k, config.NLayer, batch.BatchSize, batch.SequenceLength, config.NEmbd,
                lengths, reference.Tensor($"block_out.{k - 1}"), manifest);

            using var runner = new TailRunner(TailBackends.WebGpu());
            var pooled = runner.Run(frame, paths);

            Assert.Equal("webgpu", runner.BackendName);
            var max = pooled.SelectMany(e => e).Zip(reference.Tensor("mean_pooled")).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(max <= tolerance, $"{dtype} shards from k = {k}: max |difference| {max:E3} > {tolerance:E1}");
        }
        finally
        {
            Directory.Delete(shardDirectory, recursive: true);
        }
    }
}
