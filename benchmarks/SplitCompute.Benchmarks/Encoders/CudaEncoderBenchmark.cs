using System.Globalization;
using SplitCompute.Benchmarks.Cuda;
using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Encoders;
using SplitCompute.Cuda.Interop;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.Forward;
using SplitCompute.Testing;

namespace SplitCompute.Benchmarks.Encoders;

/// <summary>
/// Issue 22's CUDA encoder on a real GPU, where no test runner exists. Parity: seeded encoders (bert-tiny D = 64, minilm-l6
/// D = 32, an inner width that is not 4C, RoBERTa's position offset) against the CPU encoder, whole and split at k, with
/// padding, in fp32 (1e-4) and fp16 (2% of the largest value). Speed: the bge-base shape (12 x 768, I = 3072) at T = 128, B = 1,
/// 32 and 256, full-length sequences, GPU time of a whole pass (one CUDA graph: embeddings and every block, as
/// benchmarks/pytorch/bert_anchors.py times PyTorch), fp32 and fp16, with sequences/s. Exit 1 on any FAIL.
/// Usage: cuda-encoder WORKDIR [replays=30]
/// </summary>
internal sealed class CudaEncoderBenchmark : IBenchmark
{
    private const int Tokens = 128;
    private static readonly int[] Batches = [1, 32, 256];

    public string Name => "cuda-encoder";

    public string Description => "CUDA BERT-family encoder: parity with the CPU encoder, and bge-base speed at B = 1/32/256 (needs a GPU)";

    public int Run(string[] args)
    {
        if (args.Length < 1) { Console.Error.WriteLine("usage: cuda-encoder WORKDIR [replays=30]"); return 2; }
        var work = Path.GetFullPath(args[0]);
        var replays = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
        if (CudaBenchmarkDevice.TryOpen() is not { } context) return CudaBenchmarkDevice.SkipExitCode;
        using (context)
        {
            Console.WriteLine($"# device: {context}");
            var report = new ParityReport();
            foreach (var preset in new[] { "bert-tiny", "minilm-l6", "odd-inner", "roberta-tiny" }) Parity(context, work, preset, report);
            Console.WriteLine($"# {report.Checks - report.Failures} of {report.Checks} checks passed");
            Speed(context, work, replays);
            return report.Failures == 0 ? 0 : 1;
        }
    }

    private static void Parity(CudaContext context, string work, string name, ParityReport report)
    {
        var directory = Path.Combine(work, name);
        RandomEncoderWriter.Write(directory, EncoderTestShapes.Preset(name), seed: 22);
        using var cpu = BertCpuEncoder.Load(directory, BertConfig.Load(directory));
        // Three lengths in one batch: padding to the bucket and within it (bidirectional attention must skip padded keys).
        var batch = TokenBatch.FromSequences([[101, 7592, 2088, 1010, 2129, 2024, 2017, 102], [101, 4937, 999, 102], [.. Enumerable.Range(1000, 37)]]);
        var expected = Whole(cpu, batch, split: null);
        var scale = Math.Max(1.0, ParityReport.MaxMagnitude(expected.Data, batch));
        foreach (var (label, precision, tolerance) in new[] { ("f32", CudaPrecision.Float32, 1e-4), ("f16", CudaPrecision.Float16, 2e-2 * scale) })
        {
            foreach (var graphs in new[] { true, false })
            {
                using var cuda = CudaEncoderBackend.Create(context, cpu, new CudaBackendOptions { Precision = precision, UseGraphs = graphs });
                var what = $"{name} {label}{(graphs ? " graphs" : " eager")}";
                report.Check($"{what}: embeddings", ParityReport.MaxDifference(cuda.Embed(batch).Data, cpu.Embed(batch).Data, batch), tolerance);
                report.Check($"{what}: whole model", ParityReport.MaxDifference(Whole(cuda, batch, split: null).Data, expected.Data, batch), tolerance);
                var k = Math.Max(1, cpu.Config.NumLayers / 2);
                report.Check($"{what}: split at k = {k}", ParityReport.MaxDifference(Whole(cuda, batch, split: k).Data, expected.Data, batch), tolerance);
            }
        }
    }

    private static HiddenState Whole(ILayerRangeBackend backend, TokenBatch batch, int? split)
    {
        var hidden = backend.Embed(batch);
        var n = backend.Shape.Layers;
        if (split is { } k)
        {
            backend.RunLayers(hidden, 0, k);
            backend.RunLayers(hidden, k, n);
        }
        else backend.RunLayers(hidden, 0, n);
        backend.ApplyFinalNorm(hidden);
        return hidden;
    }

    private static void Speed(CudaContext context, string work, int replays)
    {
        var directory = Path.Combine(work, "bge-base");
        RandomEncoderWriter.Write(directory, EncoderPreset.ByName("bge-base"), seed: 22);
        using var cpu = BertCpuEncoder.Load(directory, BertConfig.Load(directory));
        Console.WriteLine($"# bge-base shape (12 x 768, 12 heads, I = 3072), T = {Tokens}, full-length sequences; GPU ms of a whole pass (one CUDA graph), median of {replays}");
        Console.WriteLine($"{"dtype",-5} {"B",4} {"T",4}  {"ms",9}  {"sequences/s",11}  {"TFLOP/s",8}");
        foreach (var (label, precision) in new[] { ("fp32", CudaPrecision.Float32), ("fp16", CudaPrecision.Float16) })
        {
            using var cuda = CudaEncoderBackend.Create(context, cpu, new CudaBackendOptions { Precision = precision });
            foreach (var b in Batches)
            {
                var random = new Random(b);
                var batch = TokenBatch.FromSequences([.. Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, Tokens).Select(_ => random.Next(1000, cpu.Config.VocabSize)).ToArray())]);
                var ms = cuda.DeviceMsPerPass(batch, replays);
                var c = (double)cpu.Config.HiddenSize;
                // 2 flops per multiply-add: products 2 R (4 C^2 + 2 C I) plus attention 4 B T^2 C, per layer.
                var flops = cpu.Config.NumLayers * ((2.0 * b * Tokens * ((4 * c * c) + (2 * c * cpu.Config.IntermediateSize))) + (4.0 * b * Tokens * Tokens * c));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-5} {b,4} {Tokens,4}  {ms,9:F3}  {b / ms * 1000,11:F0}  {flops / ms / 1e9,8:F1}"));
            }
        }
    }
}
