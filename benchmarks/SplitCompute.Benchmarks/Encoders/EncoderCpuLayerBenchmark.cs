using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.Forward;

namespace SplitCompute.Benchmarks.Encoders;

/// <summary>
/// Issue 22: time of one BERT-family block on the CPU encoder for the bge-small and bge-base shapes at T = 128, B = 1 and 8, next
/// to the time OpenBLAS needs for the block's six products alone (q, k, v, attention output, intermediate, output; same shapes,
/// same weights, transposed as PyTorch stores them). The target, as GPT-2's: sgemm time / block time >= 70%.
/// Matrix FLOPs per block: 2 R (4 C^2 + 2 C I). Usage: encoder-cpu-layer [repetitions = 10] [preset ...]
/// </summary>
internal sealed class EncoderCpuLayerBenchmark : IBenchmark
{
    private const int T = 128;

    public string Name => "encoder-cpu-layer";

    public string Description => "CPU time per BERT-family block (bge-small, bge-base; B = 1, 8; T = 128) vs OpenBLAS sgemm on the same shapes";

    public int Run(string[] args)
    {
        var repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        Console.WriteLine($"# load average before: {MachineLoad.Average()}");
        Console.WriteLine($"# CPU: {CpuModel.Describe()}");
        Console.WriteLine($"# {OpenBlas.Selection}; {Environment.ProcessorCount} cores; median of {repetitions}");
        Console.WriteLine("model      B    T   layer_ms  layer_GFLOPs   sgemm_ms  sgemm_GFLOPs  layer/sgemm_rate");
        foreach (var name in args.Length > 1 ? args[1..] : ["bge-small", "bge-base"])
        {
            var preset = EncoderPreset.ByName(name);
            // One block is all we time; a small vocabulary keeps the generated file small.
            var config = preset.Config with { NumLayers = 1, VocabSize = 30_522 };
            var directory = Directory.CreateTempSubdirectory("splitcompute-bench-").FullName;
            try
            {
                RandomEncoderWriter.Write(directory, preset with { Config = config }, seed: 1);
                using var encoder = BertCpuEncoder.Load(directory, config);
                foreach (var b in new[] { 1, 8 })
                {
                    var (layerMs, sgemmMs) = Measure(encoder, b, repetitions);
                    var flops = 2.0 * b * T * ((4.0 * config.HiddenSize * config.HiddenSize) + (2.0 * config.HiddenSize * config.IntermediateSize));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name,-10} {b,1} {T,4} {layerMs,10:F2} {flops / layerMs / 1e6,13:F1} {sgemmMs,10:F2} {flops / sgemmMs / 1e6,13:F1} {sgemmMs / layerMs,17:P1}"));
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

    private static (double LayerMs, double SgemmMs) Measure(BertCpuEncoder encoder, int b, int repetitions)
    {
        var random = new Random(5);
        int[][] ids = [.. Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, T).Select(_ => 1000 + random.Next(20_000)).ToArray())];
        var hidden = encoder.Embed(ids);
        var start = (float[])hidden.Data.Clone();
        var layerMs = BlockTiming.MedianMs(() => { start.CopyTo(hidden.Data, 0); hidden.LayersDone = 0; encoder.RunLayers(hidden, 0, 1); }, repetitions);
        var sgemm = new double[repetitions];
        BlockTiming.WarmUp(() => SixProducts(encoder, b * T));
        for (var i = 0; i < repetitions; i++) sgemm[i] = SixProducts(encoder, b * T);
        return (layerMs, BlockTiming.Median(sgemm));
    }

    /// <summary>The block's six products as the encoder issues them (x W^T, beta = 1), on scratch buffers.</summary>
    private static unsafe double SixProducts(BertCpuEncoder encoder, int rows)
    {
        var (c, inner) = (encoder.Config.HiddenSize, encoder.Config.IntermediateSize);
        var input = (float*)NativeMemory.AlignedAlloc((nuint)(rows * (long)inner * sizeof(float)), 64);
        var output = (float*)NativeMemory.AlignedAlloc((nuint)(rows * (long)inner * sizeof(float)), 64);
        try
        {
            new Span<float>(input, rows * inner).Fill(0.01f);
            new Span<float>(output, rows * inner).Clear();
            var p = "encoder.layer.0.";
            var clock = Stopwatch.StartNew();
            foreach (var name in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
                OpenBlas.Sgemm(rows, c, c, 1f, input, c, encoder.Tensor(p + name + ".weight", c, c).Pointer, c, 1f, output, c, transB: true);
            OpenBlas.Sgemm(rows, inner, c, 1f, input, c, encoder.Tensor(p + "intermediate.dense.weight", inner, c).Pointer, c, 1f, output, inner, transB: true);
            OpenBlas.Sgemm(rows, c, inner, 1f, input, inner, encoder.Tensor(p + "output.dense.weight", c, inner).Pointer, inner, 1f, output, c, transB: true);
            return clock.Elapsed.TotalMilliseconds;
        }
        finally
        {
            NativeMemory.AlignedFree(input);
            NativeMemory.AlignedFree(output);
        }
    }
}
