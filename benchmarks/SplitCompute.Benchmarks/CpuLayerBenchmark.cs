using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SplitCompute.Model.Config;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.Init;

namespace SplitCompute.Benchmarks;

/// <summary>
/// Time of one GPT-2 block on the CPU backend for gpt2 and gpt2-xl shapes at T = 128, B = 1 and 8, next to the time OpenBLAS
/// needs for the block's four matrix products alone (same shapes, same weights). The ratio sgemm-time / layer-time says how
/// cheap everything around the products is; the target is >= 70%.
/// Legend: B batch, T tokens, C channels, R = B*T rows. Matrix FLOPs per block: 2 R (3C^2 + C^2 + 4C^2 + 4C^2) = 24 R C^2.
/// </summary>
internal sealed class CpuLayerBenchmark : IBenchmark
{
    private const int T = 128;

    public string Name => "cpu-layer";

    public string Description => "CPU time per GPT-2 block (gpt2, gpt2-xl; B = 1, 8; T = 128) vs OpenBLAS sgemm on the same shapes";

    public int Run(string[] args)
    {
        var repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        Console.WriteLine($"# load average before: {MachineLoad.Average()}");
        Console.WriteLine($"# CPU: {CpuModel.Describe()}");
        Console.WriteLine($"# {OpenBlas.Selection}; backend threads {Environment.ProcessorCount}; median of {repetitions}");
        Console.WriteLine("model    B    T   layer_ms  layer_GFLOPs   sgemm_ms  sgemm_GFLOPs  layer/sgemm_rate");
        var presets = args.Length > 1 ? args[1..] : ["gpt2", "gpt2-xl"];  // e.g. `cpu-layer 15 gpt2` to profile one shape
        foreach (var preset in presets)
        {
            var shape = Gpt2Config.Preset(preset);
            // One block is all we time; a small vocabulary keeps the generated file small.
            var config = shape with { NLayer = 1, VocabSize = 1024 };
            var directory = Directory.CreateTempSubdirectory("splitcompute-bench-").FullName;
            try
            {
                RandomModelWriter.Write(directory, config, seed: 1);
                using var weights = Gpt2Weights.Load(directory);
                using var backend = new CpuBackend(weights);
                foreach (var b in new[] { 1, 8 })
                {
                    var (layerMs, sgemmMs) = Measure(backend, weights, b, repetitions);
                    var flops = 24.0 * b * T * config.NEmbd * config.NEmbd;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{preset,-8} {b,1} {T,4} {layerMs,10:F2} {flops / layerMs / 1e6,13:F1} {sgemmMs,10:F2} {flops / sgemmMs / 1e6,13:F1} {sgemmMs / layerMs,17:P1}"));
                }
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        Console.WriteLine($"# load average after: {MachineLoad.Average()}");
        return 0;
    }

    private static (double LayerMs, double SgemmMs) Measure(CpuBackend backend, Gpt2Weights weights, int b, int repetitions)
    {
        var random = new Random(5);
        var batch = TokenBatch.FromSequences([.. Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, T).Select(_ => random.Next(1024)).ToArray())]);
        var hidden = backend.Embed(batch);
        var layerMs = BlockTiming.MedianMs(() => { hidden.LayersDone = 0; backend.RunLayers(hidden, 0, 1); }, repetitions);
        var sgemm = new double[repetitions];
        BlockTiming.WarmUp(() => FourProducts(weights.Layer(0), b * T, weights.Config.NEmbd));
        for (var i = 0; i < repetitions; i++) sgemm[i] = FourProducts(weights.Layer(0), b * T, weights.Config.NEmbd);
        return (layerMs, BlockTiming.Median(sgemm));
    }

    /// <summary>The block's four products exactly as the backend issues them (beta = 1), on scratch buffers.</summary>
    private static unsafe double FourProducts(Gpt2LayerWeights w, int rows, int c)
    {
        var input = (float*)NativeMemory.AlignedAlloc((nuint)(rows * 4L * c * sizeof(float)), 64);
        var output = (float*)NativeMemory.AlignedAlloc((nuint)(rows * 4L * c * sizeof(float)), 64);
        try
        {
            new Span<float>(input, rows * 4 * c).Fill(0.01f);
            new Span<float>(output, rows * 4 * c).Clear();
            var clock = Stopwatch.StartNew();
            OpenBlas.Sgemm(rows, 3 * c, c, 1f, input, c, w.AttnQkvWeight.Pointer, 3 * c, 1f, output, 3 * c);
            OpenBlas.Sgemm(rows, c, c, 1f, input, c, w.AttnProjWeight.Pointer, c, 1f, output, c);
            OpenBlas.Sgemm(rows, 4 * c, c, 1f, input, c, w.FcWeight.Pointer, 4 * c, 1f, output, 4 * c);
            OpenBlas.Sgemm(rows, c, 4 * c, 1f, input, 4 * c, w.FcProjWeight.Pointer, c, 1f, output, c);
            return clock.Elapsed.TotalMilliseconds;
        }
        finally
        {
            NativeMemory.AlignedFree(input);
            NativeMemory.AlignedFree(output);
        }
    }
}
