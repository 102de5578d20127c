using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Device;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;

namespace SplitCompute.Cuda.Tests;

/// <summary>
/// The CUDA backend against the CPU backend on the gpt2-mini fixture (f32 within 1e-4, f16 within 1% of the largest value),
/// and splits. Skipped with the reason where there is no GPU; on the GPU machine the cuda-parity benchmark runs the full set.
/// </summary>
public sealed class CudaBackendGpuTests(GpuFixture gpu) : IClassFixture<GpuFixture>
{
    private CudaContext Context
    {
        get
        {
            Skip.If(gpu.Context is null, $"no CUDA device here: {gpu.Unavailable}");
            return gpu.Context!;
        }
    }

    [SkippableTheory]
    [InlineData(CudaPrecision.Float32, 1e-4)]
    [InlineData(CudaPrecision.Float16, 1e-2)]
    public void Whole_model_matches_the_cpu_backend(CudaPrecision precision, double relativeTolerance)
    {
        var context = Context;
        using var weights = Gpt2Weights.Load(GpuFixture.Fixture("gpt2-mini"));
        using var cpu = new CpuBackend(weights);
        using var cuda = CudaBackend.Create(context, weights, new CudaBackendOptions { Precision = precision });
        var batch = TokenBatch.FromSequences([[.. Enumerable.Range(1, 40)], [.. Enumerable.Range(100, 7)]]);

        var expected = BackendRuns.Whole(cpu, batch);
        var actual = BackendRuns.Whole(cuda, batch);

        var scale = Math.Max(1.0, expected.Data.Max(MathF.Abs));
        var max = BackendRuns.MaxDifferenceOnValid(actual, expected);
        Assert.True(max <= relativeTolerance * scale, $"{precision}: max |difference| {max:E3} > {relativeTolerance * scale:E3}");
    }

    [SkippableFact]
    public void A_split_at_k_gives_the_unsplit_result_and_a_range_gets_its_own_graph_when_asked_again()
    {
        var context = Context;
        using var weights = Gpt2Weights.Load(GpuFixture.Fixture("gpt2-tiny"));
        using var cuda = CudaBackend.Create(context, weights, new CudaBackendOptions { Precision = CudaPrecision.Float32, TuneProducts = false });
        var batch = TokenBatch.FromSequences([[.. Enumerable.Range(3, 17)]]);
        var whole = BackendRuns.Whole(cuda, batch);
        Assert.Equal(4, cuda.CachedGraphs);  // first sight of [0, 4): one graph per block

        var split = cuda.Embed(batch);
        cuda.RunLayers(split, 0, 2);
        Assert.Equal(2, split.LayersDone);
        cuda.RunLayers(split, 2, weights.Config.NLayer);
        cuda.ApplyFinalNorm(split);
        Assert.Equal(whole.Data, split.Data);

        var again = BackendRuns.Whole(cuda, batch);
        Assert.Equal(5, cuda.CachedGraphs);  // [0, 4) asked twice: captured whole
        Assert.Equal(whole.Data, again.Data);
    }

    [SkippableFact]
    public void One_pass_with_exits_gives_each_group_of_sequences_its_own_depth()
    {
        var context = Context;
        using var weights = Gpt2Weights.Load(GpuFixture.Fixture("gpt2-mini"));
        using var cuda = CudaBackend.Create(context, weights, new CudaBackendOptions { Precision = CudaPrecision.Float32, TuneProducts = false });
        var n = weights.Config.NLayer;
        var batch = TokenBatch.FromSequences([[.. Enumerable.Range(1, 40)], [.. Enumerable.Range(60, 9)], [.. Enumerable.Range(7, 22)]]);
        LayerExit[] exits = [new(n, 0, 1), new(0, 1, 1), new(3, 2, 1)];

        var rows = cuda.RunToExits(batch, exits);

        for (var i = 0; i < exits.Length; i++)
        {
            var expected = cuda.Embed(batch);
            cuda.RunLayers(expected, 0, exits[i].K);
            if (exits[i].K == n) cuda.ApplyFinalNorm(expected);
            var length = batch.SequenceLength * weights.Config.NEmbd;
            var reference = expected.Data.AsSpan(exits[i].FirstSequence * length, length).ToArray();
            var max = rows[i].Zip(reference).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(max <= 1e-5, $"exit {i} (k = {exits[i].K}): max |difference| {max:E3}");
        }
        Assert.Throws<ArgumentException>(() => cuda.RunToExits(batch, [new(1, 0, 2), new(2, 1, 1)]));  // sequence 1 claimed twice
    }

    [SkippableFact]
    public void Mixed_k_exits_ordered_deepest_first_match_each_request_run_alone()
    {
        var context = Context;
        using var weights = Gpt2Weights.Load(GpuFixture.Fixture("gpt2-mini"));
        using var cuda = CudaBackend.Create(context, weights, new CudaBackendOptions { Precision = CudaPrecision.Float32, TuneProducts = false });
        var n = weights.Config.NLayer;
        int[][] sequences = [[.. Enumerable.Range(1, 40)], [.. Enumerable.Range(60, 9)], [.. Enumerable.Range(7, 22)], [.. Enumerable.Range(90, 3)], [.. Enumerable.Range(200, 30)]];
        var batch = TokenBatch.FromSequences(sequences);
        // Bucket 8 x 64; after k = 0 four sequences run on (bucket 4), after k = 3 one (bucket 1).
        LayerExit[] exits = [new(n, 0, 1), new(3, 1, 2), new(1, 3, 1), new(0, 4, 1)];

        var rows = cuda.RunToExits(batch, exits);

        var c = weights.Config.NEmbd;
        foreach (var (exit, i) in exits.Select((e, i) => (e, i)))
        {
            for (var s = 0; s < exit.SequenceCount; s++)
            {
                var single = TokenBatch.FromSequences([sequences[exit.FirstSequence + s]]);
                var alone = cuda.Embed(single);
                cuda.RunLayers(alone, 0, exit.K);
                if (exit.K == n) cuda.ApplyFinalNorm(alone);
                var got = rows[i].AsSpan(s * batch.SequenceLength * c, single.SequenceLength * c).ToArray();
                var max = got.Zip(alone.Data).Max(p => Math.Abs(p.First - p.Second));
                Assert.True(max <= 1e-5, $"exit {i} (k = {exit.K}) sequence {s}: max |difference| from running alone {max:E3}");
            }
        }
    }
}
