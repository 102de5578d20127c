using System.Diagnostics;
using System.Globalization;
using SplitCompute.Cuda.Backend;
using SplitCompute.Cuda.Blas;
using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;
using SplitCompute.Cuda.Profiling;
using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;

namespace SplitCompute.Benchmarks.Cuda;

/// <summary>
/// GPU time of GPT-2 blocks on the CUDA backend at the shapes of the PyTorch anchors (../shared/device/README.md): one block and
/// the whole stack at B = 1 and 32, T = 128, fp16 and fp32, replayed as CUDA graphs and launched eagerly. Times are CUDA events
/// around the blocks (median), as the anchors were taken. The memory-bandwidth share of one block at B = 1 is its weight bytes
/// over its time, against the datasheet peak and against a measured device-to-device copy. Random weights, made on the GPU.
/// Also: the host round trip (Embed + RunLayers through the public API, PCIe copies included), by stopwatch.
/// Legend: B batch, T tokens, C channels, L layers. Matrix FLOPs per block: 24 B T C^2 (+ attention 4 B T^2 C / 2, causal).
/// Usage: cuda-layer [repetitions] [preset ...] [--fp16] (--fp16: skip the fp32 runs, for quick iterations on one change)
/// </summary>
internal sealed class CudaLayerBenchmark : IBenchmark
{
    private const int T = 128;

    public string Name => "cuda-layer";

    public string Description => "CUDA time per GPT-2 block and per model (gpt2, gpt2-xl; B = 1, 32; T = 128; fp16/fp32; graphs vs eager)";

    public int Run(string[] args)
    {
        var fp16Only = args.Contains("--fp16");
        args = [.. args.Where(a => a != "--fp16")];
        var repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
        var presets = args.Length > 1 ? args[1..] : ["gpt2", "gpt2-xl"];
        if (CudaBenchmarkDevice.TryOpen() is not { } context) return CudaBenchmarkDevice.SkipExitCode;
        using (context)
        {
            var copy = CopyBandwidth.Measure(context);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# device: {context}; datasheet peak {context.PeakBandwidthBytesPerSecond / 1e12:F2} TB/s; measured D2D copy {copy / 1e12:F2} TB/s; cuBLASLt {LtInfo.Version}; median of {repetitions}"));
            Console.WriteLine("model    dtype  B    T  layers  mode    ms        us/layer  TFLOP/s  weights_GB/s  share_of_peak  share_of_copy");
            foreach (var preset in presets)
            {
                foreach (var precision in fp16Only ? [CudaPrecision.Float16] : new[] { CudaPrecision.Float16, CudaPrecision.Float32 })
                {
                    Measure(context, Gpt2Config.Preset(preset), precision, repetitions, copy);
                }
            }
        }
        return 0;
    }

    private static void Measure(CudaContext context, Gpt2Config config, CudaPrecision precision, int repetitions, double copyBandwidth)
    {
        using var backend = CudaBackend.CreateRandom(context, config, new CudaBackendOptions { Precision = precision }, seed: 3);
        var name = Gpt2Config.PresetNames.First(p => Gpt2Config.Preset(p) == config);
        var dtype = precision == CudaPrecision.Float16 ? "fp16" : "fp32";
        var profiler = new CudaProfiler(backend);
        var layerBytes = backend.LayerWeightBytes(0);
        foreach (var b in new[] { 1, 32 })
        {
            foreach (var layers in new[] { 1, config.NLayer })
            {
                foreach (var graph in new[] { true, false })
                {
                    var ms = profiler.MeasureLayersMs(b, T, 0, layers, repetitions, graph);
                    var flops = layers * ((24.0 * b * T * config.NEmbd * config.NEmbd) + (2.0 * b * T * T * config.NEmbd));
                    var bytesPerSecond = layers * (double)layerBytes / (ms / 1e3);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name,-8} {dtype}  {b,2} {T,4} {layers,6}  {(graph ? "graph" : "eager"),-6} {ms,8:F3} {ms * 1e3 / layers,10:F1} {flops / (ms / 1e3) / 1e12,8:F1} {bytesPerSecond / 1e9,13:F0} {Share(bytesPerSecond, context.PeakBandwidthBytesPerSecond),14} {Share(bytesPerSecond, copyBandwidth),14}"));
                }
            }
        }
        RoundTrip(backend, name, dtype, config, repetitions);
        foreach (var b in new[] { 1, 32 })
        {
            var steps = profiler.MeasureBlockSteps(b, T, repetitions);
            var total = steps.Sum(s => s.Ms);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   {name} {dtype} B={b} T={T} one block, eager, per step (us): {string.Join("; ", steps.Select(s => $"{s.Step} {s.Ms * 1e3:F1}"))}; sum {total * 1e3:F1}"));
            var inGraph = profiler.MeasureBlockStepsInGraph(b, T, Math.Min(repetitions, 20));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   {name} {dtype} B={b} T={T} per step in a graph (20 launches of the step alone with blocks 0..19's weights, us each): {string.Join("; ", inGraph.Select(s => $"{s.Step} {s.Ms * 1e3:F1}"))}; sum {inGraph.Sum(s => s.Ms) * 1e3:F1}"));
            foreach (var product in profiler.DescribeProducts(b, T)) Console.WriteLine($"#   {name} {dtype} B={b} T={T} {product}");
            if (b == 1)
            {
                var hot = profiler.MeasureBlockStepsInGraph(b, T, Math.Min(repetitions, 20), distinctLayers: 1);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"#   {name} {dtype} B={b} T={T} per step in a graph, block 0's weights in all 20 launches (L2-resident, us each): {string.Join("; ", hot.Select(s => $"{s.Step} {s.Ms * 1e3:F1}"))}; sum {hot.Sum(s => s.Ms) * 1e3:F1}"));
            }
        }
        if (precision == CudaPrecision.Float16)
        {
            // What the defaults buy: each option turned off alone, one block and the whole stack, graphs.
            (string Label, CudaBackendOptions Options)[] ablations =
            [
                ("heuristic's first algorithms (no tuning)", new() { Precision = precision, TuneProducts = false }),
                ("cuBLASLt products only (none of our own)", new() { Precision = precision, OwnProducts = false }),
                ("products tuned alone (no switch after timing whole blocks)", new() { Precision = precision, TuneInBlock = false }),
                ("LayerNorm and attention launched the ordinary way (no programmatic dependent launch)", new() { Precision = precision, DependentLaunch = false }),
                ("Conv1D weights (NN products)", new() { Precision = precision, TransposedWeights = false }),
                ("CUDA-core attention", new() { Precision = precision, TensorCoreAttention = false }),
                ("tensor-core attention, 1 warp (16 queries) per block", new() { Precision = precision, AttentionWarps = 1 }),
                ("tensor-core attention, 2 warps (32 queries) per block", new() { Precision = precision, AttentionWarps = 2 }),
                ("tensor-core attention, one key set (each query's tiles in turn)", new() { Precision = precision, AttentionKeySplit = false }),
            ];
            foreach (var (label, options) in ablations)
            {
                using var other = CudaBackend.CreateRandom(context, config, options, seed: 3);
                var otherProfiler = new CudaProfiler(other);
                foreach (var b in new[] { 1, 32 })
                {
                    var one = otherProfiler.MeasureLayersMs(b, T, 0, 1, repetitions, useGraph: true);
                    var all = otherProfiler.MeasureLayersMs(b, T, 0, config.NLayer, Math.Min(repetitions, 20), useGraph: true);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"#   {name} {dtype} B={b} T={T} graph, {label}: one block {one * 1e3:F1} us, {config.NLayer} blocks {all:F3} ms"));
                }
            }
        }
    }

    /// <summary>Embed + all blocks through the public API with the hidden state crossing PCIe both ways, wall clock.</summary>
    private static void RoundTrip(CudaBackend backend, string name, string dtype, Gpt2Config config, int repetitions)
    {
        var ids = Enumerable.Range(0, T).Select(i => (i * 31) % config.VocabSize).ToArray();
        var batch = TokenBatch.FromSequences([ids]);
        var times = new double[repetitions];
        for (var i = -3; i < repetitions; i++)
        {
            var clock = Stopwatch.StartNew();
            var hidden = backend.Embed(batch);
            backend.RunLayers(hidden, 0, config.NLayer);
            if (i >= 0) times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-8} {dtype}   1 {T,4} {config.NLayer,6}  api     {times[repetitions / 2],8:F3}  (Embed + RunLayers(0, {config.NLayer}) from the host, PCIe copies included, stopwatch)"));
    }

    private static string Share(double value, double peak) => peak > 0 ? (value / peak).ToString("P0", CultureInfo.InvariantCulture) : "n/a";
}
