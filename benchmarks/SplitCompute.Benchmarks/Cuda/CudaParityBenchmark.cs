using System.Globalization;
using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;
using SplitCompute.Model.Config;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.Init;
using SplitCompute.Testing;

namespace SplitCompute.Benchmarks.Cuda;

/// <summary>
/// The CUDA backend's correctness on a real GPU, where no test runner exists: every stage against Hugging Face's float64 outputs
/// (fixtures) and against the CPU backend, in fp32 (1e-4) and fp16 (1% of the tensor's largest magnitude), with and without
/// graphs and the GELU epilogue; splits at every k; padding; gpt2 and gpt2-xl widths. Exit code 1 on any FAIL.
/// Usage: cuda-parity FIXTURES_DIR
/// </summary>
internal sealed class CudaParityBenchmark : IBenchmark
{
    private const double Fp32Tolerance = 1e-4;
    private const double Fp16RelativeTolerance = 1e-2;

    public string Name => "cuda-parity";

    public string Description => "CUDA backend vs Hugging Face fixtures and the CPU backend (PASS/FAIL per stage; needs a GPU)";

    public int Run(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: cuda-parity FIXTURES_DIR (the folder holding gpt2-tiny and gpt2-mini)");
            return 2;
        }
        if (CudaBenchmarkDevice.TryOpen() is not { } context) return CudaBenchmarkDevice.SkipExitCode;
        using (context)
        {
            Console.WriteLine($"# device: {context}; peak {context.PeakBandwidthBytesPerSecond / 1e12:F2} TB/s");
            var report = new ParityReport();
            foreach (var fixture in new[] { "gpt2-tiny", "gpt2-mini" }) Fixture(context, Path.Combine(args[0], fixture), report);
            RandomWidth(context, "gpt2", layers: 2, report);
            RandomWidth(context, "gpt2-xl", layers: 1, report);
            Console.WriteLine($"# {report.Checks - report.Failures} of {report.Checks} checks passed");
            return report.Failures == 0 ? 0 : 1;
        }
    }

    private static readonly (string Label, CudaBackendOptions Options)[] Variants =
    [
        ("f32 graphs", new() { Precision = CudaPrecision.Float32 }),
        ("f32 eager, GELU kernel", new() { Precision = CudaPrecision.Float32, UseGraphs = false, FuseGelu = false }),
        ("f16 graphs", new() { Precision = CudaPrecision.Float16 }),
    ];

    private static void Fixture(CudaContext context, string directory, ParityReport report)
    {
        var name = Path.GetFileName(directory);
        using var reference = new HuggingFaceReference(directory);
        using var weights = Gpt2Weights.Load(directory);
        using var cpu = new CpuBackend(weights);
        var n = weights.Config.NLayer;
        var batch = reference.Batch;
        var cpuFinal = cpu.Embed(batch);
        cpu.RunLayers(cpuFinal, 0, n);
        cpu.ApplyFinalNorm(cpuFinal);

        foreach (var (label, options) in Variants)
        {
            using var gpu = CudaBackend.Create(context, weights, options);
            var hidden = gpu.Embed(batch);
            Stage(report, $"{name} {label} embeddings", hidden.Data, reference.Tensor("embeddings"), batch, options.Precision);
            for (var layer = 0; layer < n; layer++)
            {
                gpu.RunLayers(hidden, layer, layer + 1);
                Stage(report, $"{name} {label} block_out.{layer}", hidden.Data, reference.Tensor($"block_out.{layer}"), batch, options.Precision);
            }
            gpu.ApplyFinalNorm(hidden);
            Stage(report, $"{name} {label} last_hidden_state", hidden.Data, reference.Tensor("last_hidden_state"), batch, options.Precision);
            Stage(report, $"{name} {label} last_hidden_state vs CPU backend", hidden.Data, cpuFinal.Data, batch, options.Precision);
        }

        // Fixed algorithms (no tuning by timing) so the graph and eager backends below run exactly the same products.
        using var f32 = CudaBackend.Create(context, weights, new CudaBackendOptions { Precision = CudaPrecision.Float32, TuneProducts = false });
        var whole = Whole(f32, batch);
        var worst = 0.0;
        for (var k = 0; k <= n; k++)
        {
            var split = f32.Embed(batch);
            f32.RunLayers(split, 0, k);
            f32.RunLayers(split, k, n);
            f32.ApplyFinalNorm(split);
            worst = Math.Max(worst, ParityReport.MaxDifference(split.Data, whole.Data, batch));
        }
        report.Check($"{name} f32 split at every k in [0, {n}] vs unsplit", worst, 1e-5, $"{f32.CachedGraphs} graphs cached");

        LayerExit[] exits = [new(n, 0, 1), new(n / 2, 1, batch.BatchSize - 1)];
        var exitRows = f32.RunToExits(batch, exits);
        var exitWorst = 0.0;
        for (var i = 0; i < exits.Length; i++)
        {
            var single = f32.Embed(batch);
            f32.RunLayers(single, 0, exits[i].K);
            if (exits[i].K == n) f32.ApplyFinalNorm(single);
            var length = batch.SequenceLength * weights.Config.NEmbd;
            var separate = single.Data.AsSpan(exits[i].FirstSequence * length, exits[i].SequenceCount * length).ToArray();
            var sub = new TokenBatch(exits[i].SequenceCount, batch.SequenceLength, batch.Ids.Slice(exits[i].FirstSequence * batch.SequenceLength, exits[i].SequenceCount * batch.SequenceLength).ToArray(),
                batch.Mask.Slice(exits[i].FirstSequence * batch.SequenceLength, exits[i].SequenceCount * batch.SequenceLength).ToArray());
            exitWorst = Math.Max(exitWorst, ParityReport.MaxDifference(exitRows[i], separate, sub));
        }
        report.Check($"{name} f32 one pass with exits at k = {n} and {n / 2} vs separate runs", exitWorst, 1e-5);

        // As the worker's batcher orders a batch (deepest k first), each later stage runs on the active prefix in a smaller bucket.
        LayerExit[] mixed = [.. Enumerable.Range(0, batch.BatchSize).Select(b => new LayerExit(Math.Max(0, n - (b * Math.Max(1, n / batch.BatchSize))), b, 1))];
        var mixedRows = f32.RunToExits(batch, mixed);
        var mixedWorst = 0.0;
        for (var b = 0; b < batch.BatchSize; b++)
        {
            var single = TokenBatch.FromSequences([batch.SequenceIds(b)[..batch.ValidCount(b)].ToArray()]);
            var own = f32.Embed(single);
            f32.RunLayers(own, 0, mixed[b].K);
            if (mixed[b].K == n) f32.ApplyFinalNorm(own);
            var rowLength = single.SequenceLength * weights.Config.NEmbd;
            mixedWorst = Math.Max(mixedWorst, ParityReport.MaxDifference(mixedRows[b].AsSpan(0, rowLength), own.Data, single));
        }
        report.Check($"{name} f32 one pass with exits at k = {string.Join(", ", mixed.Select(e => e.K))} (deepest first) vs each sequence alone", mixedWorst, 1e-5);

        using var eager = CudaBackend.Create(context, weights, new CudaBackendOptions { Precision = CudaPrecision.Float32, UseGraphs = false, TuneProducts = false });
        report.Check($"{name} f32 graph replay vs eager launches", ParityReport.MaxDifference(Whole(eager, batch).Data, whole.Data, batch), 1e-6);

        var alone = 0.0;
        for (var b = 0; b < batch.BatchSize; b++)
        {
            var single = TokenBatch.FromSequences([batch.SequenceIds(b)[..batch.ValidCount(b)].ToArray()]);
            var one = Whole(f32, single);
            var rowLength = single.SequenceLength * weights.Config.NEmbd;
            var fromBatch = whole.Data.AsSpan(b * batch.SequenceLength * weights.Config.NEmbd, rowLength);
            alone = Math.Max(alone, ParityReport.MaxDifference(one.Data, fromBatch, single));
        }
        report.Check($"{name} f32 each sequence alone (other bucket) vs in the padded batch", alone, 1e-5);
    }

    /// <summary>A random model at a real width (C, H) through the CPU backend and both GPU precisions, with a padded batch.</summary>
    private static void RandomWidth(CudaContext context, string preset, int layers, ParityReport report)
    {
        var config = Gpt2Config.Preset(preset) with { NLayer = layers, VocabSize = 1024 };
        var directory = Directory.CreateTempSubdirectory("splitcompute-cuda-parity-").FullName;
        try
        {
            RandomModelWriter.Write(directory, config, seed: 7);
            using var weights = Gpt2Weights.Load(directory);
            using var cpu = new CpuBackend(weights);
            var random = new Random(11);
            var batch = TokenBatch.FromSequences([
                [.. Enumerable.Range(0, 128).Select(_ => random.Next(config.VocabSize))],
                [.. Enumerable.Range(0, 77).Select(_ => random.Next(config.VocabSize))],
                [.. Enumerable.Range(0, 5).Select(_ => random.Next(config.VocabSize))]]);
            // Also one full 128-token sequence: the bucket (1 x 128) the benchmarks time, so the products tuned there are checked too.
            var single = TokenBatch.FromSequences([[.. Enumerable.Range(0, 128).Select(_ => random.Next(config.VocabSize))]]);
            // And 16 x 126..128: a batch with several query tiles per sequence and ragged ends.
            var wide = TokenBatch.FromSequences([.. Enumerable.Range(0, 16).Select(s => Enumerable.Range(0, 128 - (s % 3)).Select(_ => random.Next(config.VocabSize)).ToArray())]);
            var expectedWide = Whole(cpu, wide);
            var expected = Whole(cpu, batch);
            var expectedSingle = Whole(cpu, single);
            (string Label, CudaBackendOptions Options)[] variants =
            [
                ("f32", new() { Precision = CudaPrecision.Float32 }),
                ("f16, tensor-core attention", new() { Precision = CudaPrecision.Float16 }),
                ("f16, CUDA-core attention", new() { Precision = CudaPrecision.Float16, TensorCoreAttention = false }),
                ("f16, tensor-core attention, 1 warp per block", new() { Precision = CudaPrecision.Float16, AttentionWarps = 1 }),
                ("f16, tensor-core attention, 2 warps per block", new() { Precision = CudaPrecision.Float16, AttentionWarps = 2 }),
                ("f16, tensor-core attention, one key set", new() { Precision = CudaPrecision.Float16, AttentionKeySplit = false }),
                .. OwnProductVariants(context),
            ];
            foreach (var (label, options) in variants)
            {
                using var gpu = CudaBackend.Create(context, weights, options);
                var actual = Whole(gpu, batch);
                // Wide fp32 sums differ in order between cuBLAS and OpenBLAS: 1e-4 still holds at these magnitudes (~1).
                Stage(report, $"{preset} x{layers} (C={config.NEmbd}, H={config.NHead}) {label} vs CPU backend", actual.Data, expected.Data, batch, options.Precision);
                Stage(report, $"{preset} x{layers} {label}, 1 x 128 tokens, vs CPU backend", Whole(gpu, single).Data, expectedSingle.Data, single, options.Precision);
                Stage(report, $"{preset} x{layers} {label}, 16 x 126..128 tokens, vs CPU backend", Whole(gpu, wide).Data, expectedWide.Data, wide, options.Precision);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// On a Hopper GPU: every product on our split-K kernel, once per K split (the tuner picks only some of them), so each
    /// variant and all three epilogues (bias, GELU + bias, residual) are checked, at one and several 128-row token tiles.
    /// </summary>
    private static IEnumerable<(string, CudaBackendOptions)> OwnProductVariants(CudaContext context) =>
        context.ComputeCapability != (9, 0) ? [] :
        from split in new[] { 1, 2, 3, 4, 5, 6, 8 }
        select ($"f16, our Hopper products with {split} K slices", new CudaBackendOptions { Precision = CudaPrecision.Float16, OwnProductSplit = split });

    private static HiddenState Whole(ILayerRangeBackend backend, TokenBatch batch)
    {
        var hidden = backend.Embed(batch);
        backend.RunLayers(hidden, 0, backend.Shape.Layers);
        backend.ApplyFinalNorm(hidden);
        return hidden;
    }

    private static void Stage(ParityReport report, string what, float[] actual, float[] expected, TokenBatch batch, CudaPrecision precision)
    {
        var difference = ParityReport.MaxDifference(actual, expected, batch);
        var magnitude = ParityReport.MaxMagnitude(expected, batch);
        var tolerance = precision == CudaPrecision.Float32 ? Fp32Tolerance : Fp16RelativeTolerance * Math.Max(1.0, magnitude);
        report.Check(what, difference, tolerance, string.Create(CultureInfo.InvariantCulture, $"(max|ref| {magnitude:F2})"));
    }
}
